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
func (l *Lab) LimitCPU(name string, percent int, pids ...int) error {
	const period = 100000 // µs
	quota := period * percent / 100
	var dir, file, value string
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		// v2: the cpu controller must be enabled for children of the root.
		os.WriteFile("/sys/fs/cgroup/cgroup.subtree_control", []byte("+cpu"), 0o644)
		dir = filepath.Join("/sys/fs/cgroup", l.name+"-"+name)
		file, value = "cpu.max", fmt.Sprintf("%d %d", quota, period)
	} else if _, err := os.Stat("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"); err == nil {
		dir = filepath.Join("/sys/fs/cgroup/cpu", l.name+"-"+name)
		file, value = "cpu.cfs_quota_us", strconv.Itoa(quota)
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
