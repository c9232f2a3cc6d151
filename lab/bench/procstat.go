package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux architecture the bench runs on).
const clockTicks = 100

// rssKiB reads VmRSS of a process from /proc/PID/status.
func rssKiB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				return strconv.Atoi(f[0])
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// cpuTime reads utime+stime of a process (all its threads) from
// /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after its
	// closing parenthesis start with field 3 (state).
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no closing parenthesis", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// cpuWindow measures the CPU a set of processes use over d while work
// runs (work may be nil), as a percentage of one core.
func cpuWindow(pids []int, d time.Duration, work func(stop <-chan struct{})) (float64, error) {
	before := make([]time.Duration, len(pids))
	for i, p := range pids {
		c, err := cpuTime(p)
		if err != nil {
			return 0, err
		}
		before[i] = c
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	if work != nil {
		go func() { work(stop); close(done) }()
	} else {
		close(done)
	}
	start := time.Now()
	time.Sleep(d)
	var used time.Duration
	for i, p := range pids {
		c, err := cpuTime(p)
		if err != nil {
			close(stop)
			<-done
			return 0, err
		}
		used += c - before[i]
	}
	elapsed := time.Since(start)
	close(stop)
	<-done
	return 100 * used.Seconds() / elapsed.Seconds(), nil
}
