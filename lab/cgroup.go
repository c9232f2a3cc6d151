package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LimitCPU caps the CPU of process pid (and the children it forks from
// now on, and those already forked if given) to percent of one core with a
// cgroup of the lab's own, removed at cleanup. It supports cgroup v2
// (cpu.max) and v1 (cpu.cfs_quota_us).
//
// The quota is granted per 100 ms period; below 1% (the kernel's smallest
// quota is 1 ms) the period grows instead, so 0.25% is 1 ms every 400 ms.
//
// On cgroup v1 the members also go to a cpuacct group of the same name
// (when cpuacct is a hierarchy of its own), so that their CPU time can be
// read there (anycostd's [service.cpu]); CPUGroup names both.
func (l *Lab) LimitCPU(name string, percent float64, pids ...int) error {
	if percent <= 0 || percent > 100 {
		return fmt.Errorf("lab: LimitCPU %s: %v%% is not a share of one core", name, percent)
	}
	period, quota := cpuQuota(percent)
	var dir, file, value string
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		// v2: the cpu controller must be enabled for children of the root.
		os.WriteFile("/sys/fs/cgroup/cgroup.subtree_control", []byte("+cpu"), 0o644)
		dir = filepath.Join("/sys/fs/cgroup", l.CPUGroup(name))
		file, value = "cpu.max", fmt.Sprintf("%d %d", quota, period)
	} else if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"); err == nil {
		dir = filepath.Join("/sys/fs/cgroup/cpu", l.CPUGroup(name))
		file, value = "cpu.cfs_quota_us", strconv.Itoa(quota)
		if err := os.MkdirAll(dir, 0o755); err == nil {
			os.WriteFile(filepath.Join(dir, "cpu.cfs_period_us"), []byte(strconv.Itoa(period)), 0o644)
		}
	} else {
		return errors.New("lab: no cgroup cpu controller found")
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return fmt.Errorf("lab: cgroup: %w", err)
	}
	// Move the members back to the root before removing the group.
	l.addCleanup(func() { removeCgroup(dir) })
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
		return fmt.Errorf("lab: cgroup %s: %w", file, err)
	}
	if err := moveToCgroup(dir, pids); err != nil {
		return err
	}
	if file == "cpu.cfs_quota_us" {
		return l.accountCPU(name, pids)
	}
	return nil
}

// CPUGroup is the path, relative to the cgroup root (/sys/fs/cgroup on
// v2, each controller's hierarchy on v1), of the cgroup LimitCPU makes
// for name: what anycostd's [service.cpu] cgroup takes.
func (l *Lab) CPUGroup(name string) string { return l.name + "-" + name }

// HostCgroupRoot is where a process the lab starts in a namespace sees
// the cgroup file system of the host (anycostd's [service.cpu]
// cgroup_root): `ip netns exec` mounts a /sys of its own, with nothing
// under /sys/fs/cgroup, so the lab's daemons read the host's through this
// process's root, /proc/PID/root/sys/fs/cgroup.
func HostCgroupRoot() string {
	return fmt.Sprintf("/proc/%d/root/sys/fs/cgroup", os.Getpid())
}

// accountCPU puts pids in a cpuacct group named as LimitCPU's cpu group,
// unless cpuacct shares the cpu hierarchy (then the cpu group is it).
func (l *Lab) accountCPU(name string, pids []int) error {
	root := "/sys/fs/cgroup/cpuacct"
	cpuRoot, err1 := filepath.EvalSymlinks("/sys/fs/cgroup/cpu")
	acctRoot, err2 := filepath.EvalSymlinks(root)
	if err1 != nil || err2 != nil || cpuRoot == acctRoot {
		return nil
	}
	dir := filepath.Join(root, l.CPUGroup(name))
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return fmt.Errorf("lab: cgroup cpuacct: %w", err)
	}
	l.addCleanup(func() { removeCgroup(dir) })
	return moveToCgroup(dir, pids)
}

// moveToCgroup moves pids into the cgroup at dir.
func moveToCgroup(dir string, pids []int) error {
	for _, pid := range pids {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("lab: cgroup %s: moving %d: %w", dir, pid, err)
		}
	}
	return nil
}

// removeCgroup moves the members of the cgroup at dir back to its parent
// and removes it.
func removeCgroup(dir string) {
	root := filepath.Dir(dir)
	if b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
		for _, f := range strings.Fields(string(b)) {
			os.WriteFile(filepath.Join(root, "cgroup.procs"), []byte(f), 0o644)
		}
	}
	os.Remove(dir)
}

// UnlimitCPU lifts the cap LimitCPU set on the lab's cgroup name; its
// members stay in it, uncapped, until cleanup.
func (l *Lab) UnlimitCPU(name string) error {
	file, value := filepath.Join("/sys/fs/cgroup", l.name+"-"+name, "cpu.max"), "max 100000"
	if _, err := os.Stat(file); err != nil {
		file, value = filepath.Join("/sys/fs/cgroup/cpu", l.name+"-"+name, "cpu.cfs_quota_us"), "-1"
	}
	if err := os.WriteFile(file, []byte(value), 0o644); err != nil {
		return fmt.Errorf("lab: UnlimitCPU %s: %w", name, err)
	}
	return nil
}

// cpuQuota returns the CFS period and quota (µs) for percent of one core:
// a 100 ms period, longer where the quota would fall under 1 ms.
func cpuQuota(percent float64) (period, quota int) {
	const minQuota = 1000
	period = 100000
	quota = int(float64(period) * percent / 100)
	if quota < minQuota {
		quota = minQuota
		period = int(minQuota * 100 / percent)
	}
	return period, quota
}

// CPUStat is the CPU time and CFS throttling of a lab cgroup.
type CPUStat struct {
	Usage              time.Duration
	Periods, Throttled int64
}

// Sub is the counters' change since before.
func (s CPUStat) Sub(before CPUStat) CPUStat {
	return CPUStat{s.Usage - before.Usage, s.Periods - before.Periods, s.Throttled - before.Throttled}
}

// CPUStat reads the counters of the lab's cgroup name (LimitCPU's): on
// cgroup v2 cpu.stat (usage_usec, nr_periods, nr_throttled), on v1
// cpuacct.usage and the cpu group's cpu.stat. A counter it cannot read
// is left at zero.
func (l *Lab) CPUStat(name string) CPUStat {
	var s CPUStat
	stat := filepath.Join("/sys/fs/cgroup", l.CPUGroup(name), "cpu.stat")
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		stat = filepath.Join("/sys/fs/cgroup/cpu", l.CPUGroup(name), "cpu.stat")
		for _, root := range []string{"/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/cpu"} {
			if b, err := os.ReadFile(filepath.Join(root, l.CPUGroup(name), "cpuacct.usage")); err == nil {
				n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
				s.Usage = time.Duration(n)
				break
			}
		}
	}
	b, _ := os.ReadFile(stat)
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "usage_usec":
			s.Usage = time.Duration(n) * time.Microsecond
		case "nr_periods":
			s.Periods = n
		case "nr_throttled":
			s.Throttled = n
		}
	}
	return s
}
