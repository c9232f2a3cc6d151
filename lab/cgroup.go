package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LimitCPU caps the CPU of process pid (and the children it forks from
// now on, and those already forked if given) to percent of one core with a
// cgroup of the lab's own, removed at cleanup. It supports cgroup v2
// (cpu.max) and v1 (cpu.cfs_quota_us).
//
// The quota is granted per 100 ms period; below 1% (the kernel's smallest
// quota is 1 ms) the period grows instead, so 0.25% is 1 ms every 400 ms.
func (l *Lab) LimitCPU(name string, percent float64, pids ...int) error {
	if percent <= 0 || percent > 100 {
		return fmt.Errorf("lab: LimitCPU %s: %v%% is not a share of one core", name, percent)
	}
	period, quota := cpuQuota(percent)
	var dir, file, value string
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		// v2: the cpu controller must be enabled for children of the root.
		os.WriteFile("/sys/fs/cgroup/cgroup.subtree_control", []byte("+cpu"), 0o644)
		dir = filepath.Join("/sys/fs/cgroup", l.name+"-"+name)
		file, value = "cpu.max", fmt.Sprintf("%d %d", quota, period)
	} else if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"); err == nil {
		dir = filepath.Join("/sys/fs/cgroup/cpu", l.name+"-"+name)
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
	l.addCleanup(func() {
		// Move the members back to the root before removing the group.
		root := filepath.Dir(dir)
		if b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				os.WriteFile(filepath.Join(root, "cgroup.procs"), []byte(f), 0o644)
			}
		}
		os.Remove(dir)
	})
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
		return fmt.Errorf("lab: cgroup %s: %w", file, err)
	}
	for _, pid := range pids {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("lab: cgroup: moving %d: %w", pid, err)
		}
	}
	return nil
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
