package monitor

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// CPUConfig configures the CPU utilisation input of one service: the CPU
// time the service's cgroup uses per second over the CPU it may use.
type CPUConfig struct {
	// Cgroup is the service's cgroup, relative to the cgroup root
	// ("system.slice/nsd.service", as /proc/PID/cgroup shows it without
	// its leading slash).
	Cgroup string
	// Cores is the CPU the service may use when no CPU quota limits its
	// cgroup or an ancestor; 0: the CPUs of the cgroup's cpuset, or the
	// machine's online CPUs.
	Cores float64
	// Interval is the window over which the usage is measured, and the
	// time between samples.
	Interval time.Duration
	// Root is the cgroup file system's mount point; empty: /sys/fs/cgroup.
	Root string
	// OnlineCPUs is the file listing the online CPUs; empty:
	// /sys/devices/system/cpu/online.
	OnlineCPUs string
}

// Default locations of the files the CPU input reads.
const (
	defaultCgroupRoot = "/sys/fs/cgroup"
	defaultOnlineCPUs = "/sys/devices/system/cpu/online"
	// maxCgroupFile bounds what is read of one cgroup file.
	maxCgroupFile = 64 << 10
)

// ErrCgroup is wrapped by the errors about a cgroup file that does not say
// what it should.
var ErrCgroup = errors.New("unexpected cgroup file content")

// CPUUsage is one CPU utilisation reading.
type CPUUsage struct {
	// Utilisation is the CPU time used per second of the window over
	// Cores: 1 means all the CPU the service may use. It is not clamped:
	// a CFS period straddling the window's edge can make it exceed 1
	// slightly (the cost model clamps it).
	Utilisation float64
	// Cores is the CPU the service may use, in CPUs, and Limit says where
	// that came from ("cpu.max of system.slice", "cores", "cpuset",
	// "online CPUs").
	Cores float64
	Limit string
}

func (c CPUConfig) validate() error {
	switch {
	case c.Cgroup == "":
		return errors.New("no cgroup")
	case c.Interval <= 0:
		return fmt.Errorf("interval %v is not positive", c.Interval)
	case c.Cores < 0 || math.IsNaN(c.Cores) || math.IsInf(c.Cores, 0):
		return fmt.Errorf("cores %g is not a positive number", c.Cores)
	}
	return nil
}

// RunCPU measures the service's CPU utilisation every cfg.Interval and sends
// one KindCPU Sample per window: the cgroup's CPU time over the window
// (cgroup v2: usage_usec of cpu.stat; v1: cpuacct.usage) divided by the
// window's length and by the CPU the cgroup may use (limit). The first
// reading only sets the baseline, so the first Sample comes one interval
// after the start. A cgroup that cannot be read (gone, or files of an
// unexpected form) and a usage counter that went back (the cgroup was
// made anew) give a Sample with Err set, to be treated as a failed input;
// the next good reading sets a new baseline. A vanished cgroup is not a
// dead service: the socket monitor and the probe say that.
//
// RunCPU returns nil when ctx ends, or an error at once for an invalid cfg.
func RunCPU(ctx context.Context, service string, cfg CPUConfig, out chan<- Sample) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("monitor: service %q: cpu: %w", service, err)
	}
	r := newCPUReader(cfg)
	poll(ctx, service, cfg.Interval, out, func(now time.Time) (Sample, bool) {
		u, ok, err := r.read(now)
		s := Sample{Kind: KindCPU, Err: err}
		if err == nil {
			s.CPU = &u
		}
		return s, ok || err != nil
	})
	return nil
}

// cpuReader turns successive readings of a cgroup's usage counter into
// utilisations.
type cpuReader struct {
	cfg  CPUConfig
	root string
	have bool
	used time.Duration // the counter at the previous reading
	at   time.Time
}

func newCPUReader(cfg CPUConfig) *cpuReader {
	r := &cpuReader{cfg: cfg, root: cfg.Root}
	if r.root == "" {
		r.root = defaultCgroupRoot
	}
	if r.cfg.OnlineCPUs == "" {
		r.cfg.OnlineCPUs = defaultOnlineCPUs
	}
	return r
}

// read takes one reading at now. ok says a utilisation was measured (false
// on the baseline reading); err says the reading failed.
func (r *cpuReader) read(now time.Time) (u CPUUsage, ok bool, err error) {
	usage, err := r.usage()
	if err != nil {
		r.have = false
		return u, false, err
	}
	prev, prevAt, had := r.used, r.at, r.have
	r.used, r.at, r.have = usage, now, true
	if !had {
		return u, false, nil
	}
	if usage < prev {
		return u, false, fmt.Errorf("cgroup %s: CPU usage went back from %v to %v (the cgroup was made anew?): new baseline", r.cfg.Cgroup, prev, usage)
	}
	dt := now.Sub(prevAt)
	if dt <= 0 {
		r.used, r.at = prev, prevAt // keep the older baseline
		return u, false, nil
	}
	u.Cores, u.Limit, err = r.limit()
	if err != nil {
		return CPUUsage{}, false, err
	}
	u.Utilisation = float64(usage-prev) / float64(dt) / u.Cores
	return u, true, nil
}

// v2 reports whether the cgroup file system at root is the unified
// hierarchy (cgroup v2).
func (r *cpuReader) v2() bool {
	_, err := os.Stat(filepath.Join(r.root, "cgroup.controllers"))
	return err == nil
}

// usage reads the cgroup's CPU time counter: usage_usec of cpu.stat on
// cgroup v2, cpuacct.usage (ns) on v1.
func (r *cpuReader) usage() (time.Duration, error) {
	if r.v2() {
		path := filepath.Join(r.root, r.cfg.Cgroup, "cpu.stat")
		b, err := readCgroupFile(path)
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), " ")
			if k != "usage_usec" {
				continue
			}
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 63)
			if err != nil || n > math.MaxInt64/1000 {
				return 0, fmt.Errorf("%s: usage_usec %q: %w", path, clip(v), ErrCgroup)
			}
			return time.Duration(n) * time.Microsecond, nil
		}
		return 0, fmt.Errorf("%s: no usage_usec: %w", path, ErrCgroup)
	}
	path := filepath.Join(r.root, "cpuacct", r.cfg.Cgroup, "cpuacct.usage")
	b, err := readCgroupFile(path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("%s: %q: %w", path, clip(s), ErrCgroup)
	}
	return time.Duration(n), nil
}

// limit returns the CPU the cgroup may use: the smallest CPU quota of the
// cgroup and its ancestors (cgroup v2 cpu.max; v1 cpu.cfs_quota_us over
// cpu.cfs_period_us), no more than the CPUs it can run on; without a quota,
// the configured cores; else the CPUs of its cpuset (v2
// cpuset.cpus.effective, v1 cpuset.effective_cpus) or the machine's online
// CPUs.
func (r *cpuReader) limit() (float64, string, error) {
	quota, where, err := r.quota()
	if err != nil {
		return 0, "", err
	}
	cpus, cpusFrom := r.cpus()
	switch {
	case quota > 0 && quota <= cpus:
		return quota, where, nil
	case quota > 0:
		return cpus, cpusFrom + " (below " + where + ")", nil
	case r.cfg.Cores > 0:
		return r.cfg.Cores, "cores", nil
	}
	return cpus, cpusFrom, nil
}

// quota walks from the cgroup up to the root and returns the smallest CPU
// quota, in CPUs, and where it is set; 0 when none is.
func (r *cpuReader) quota() (float64, string, error) {
	base, v2 := r.root, r.v2()
	if !v2 {
		base = filepath.Join(r.root, "cpu")
	}
	var best float64
	var where string
	for rel := filepath.Clean(r.cfg.Cgroup); ; rel = filepath.Dir(rel) {
		dir := filepath.Join(base, rel)
		q, err := dirQuota(dir, v2)
		if err != nil {
			return 0, "", err
		}
		if q > 0 && (best == 0 || q < best) {
			best = q
			where = "cpu.max of " + rel
			if !v2 {
				where = "cpu.cfs_quota_us of " + rel
			}
		}
		if rel == "." || rel == "/" {
			return best, where, nil
		}
	}
}

// dirQuota reads one cgroup directory's CPU quota in CPUs (0: none). A
// directory without the quota files (the root, or a cgroup whose cpu
// controller is off) has none; the cgroup's own directory must exist.
func dirQuota(dir string, v2 bool) (float64, error) {
	if v2 {
		path := filepath.Join(dir, "cpu.max")
		b, ok, err := readQuotaFile(path)
		if !ok || err != nil {
			return 0, err
		}
		f := strings.Fields(b)
		if len(f) == 0 || len(f) > 2 {
			return 0, fmt.Errorf("%s: %q: %w", path, clip(b), ErrCgroup)
		}
		if f[0] == "max" {
			return 0, nil
		}
		period := "100000"
		if len(f) == 2 {
			period = f[1]
		}
		return quotaRatio(path, f[0], period)
	}
	qpath := filepath.Join(dir, "cpu.cfs_quota_us")
	q, ok, err := readQuotaFile(qpath)
	if !ok || err != nil || q == "-1" {
		return 0, err
	}
	p, err := readCgroupFile(filepath.Join(dir, "cpu.cfs_period_us"))
	if err != nil {
		return 0, err
	}
	return quotaRatio(qpath, q, strings.TrimSpace(string(p)))
}

// quotaRatio is quota over period, both positive integers of µs.
func quotaRatio(path, quota, period string) (float64, error) {
	q, err1 := strconv.ParseUint(quota, 10, 63)
	p, err2 := strconv.ParseUint(period, 10, 63)
	if err1 != nil || err2 != nil || q == 0 || p == 0 {
		return 0, fmt.Errorf("%s: quota %q, period %q: %w", path, clip(quota), clip(period), ErrCgroup)
	}
	return float64(q) / float64(p), nil
}

// cpus returns how many CPUs the cgroup can run on and where that came
// from: its effective cpuset if the cpuset controller shows one, else the
// machine's online CPUs, else the CPUs this process may use.
func (r *cpuReader) cpus() (float64, string) {
	path := filepath.Join(r.root, r.cfg.Cgroup, "cpuset.cpus.effective")
	if !r.v2() {
		path = filepath.Join(r.root, "cpuset", r.cfg.Cgroup, "cpuset.effective_cpus")
	}
	if b, err := readCgroupFile(path); err == nil {
		if n, err := countCPUList(string(b)); err == nil && n > 0 {
			return float64(n), "cpuset"
		}
	}
	if b, err := readCgroupFile(r.cfg.OnlineCPUs); err == nil {
		if n, err := countCPUList(string(b)); err == nil && n > 0 {
			return float64(n), "online CPUs"
		}
	}
	return float64(runtime.NumCPU()), "CPUs of anycostd"
}

// countCPUList counts the CPUs of a kernel CPU list ("0-3,8,10-11").
func countCPUList(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0, fmt.Errorf("CPU list %q: %w", clip(s), ErrCgroup)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, fmt.Errorf("CPU list %q: %w", clip(s), ErrCgroup)
			}
		}
		n += b - a + 1
	}
	return n, nil
}

// readCgroupFile reads a small cgroup file; its errors name the file.
// readQuotaFile reads a cgroup's quota file, trimmed; ok is false when
// the file does not exist (no quota there).
func readQuotaFile(path string) (content string, ok bool, err error) {
	b, err := readCgroupFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(string(b)), true, nil
}

func readCgroupFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, maxCgroupFile)
	n, err := f.Read(b)
	if err != nil && n == 0 {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return b[:n], nil
}
