package monitor

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeCgroups is a cgroup file system in a temporary directory.
type fakeCgroups struct {
	t    *testing.T
	root string
}

// newFakeCgroups makes a v2 (unified) or v1 hierarchy root.
func newFakeCgroups(t *testing.T, v2 bool) *fakeCgroups {
	f := &fakeCgroups{t: t, root: t.TempDir()}
	if v2 {
		f.write("cgroup.controllers", "cpuset cpu io memory pids\n")
	}
	f.write("online", "0-3\n")
	return f
}

func (f *fakeCgroups) write(rel, content string) {
	f.t.Helper()
	path := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// usageV2 writes a v2 cpu.stat with usage_usec.
func (f *fakeCgroups) usageV2(cg string, usec int) {
	f.write(filepath.Join(cg, "cpu.stat"), "usage_usec "+strconv.Itoa(usec)+"\nuser_usec 1\nsystem_usec 2\nnr_periods 0\n")
}

func (f *fakeCgroups) reader(cg string, cores float64) *cpuReader {
	return newCPUReader(CPUConfig{Cgroup: cg, Cores: cores, Interval: time.Second, Root: f.root, OnlineCPUs: filepath.Join(f.root, "online")})
}

var cpuT0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// window reads the baseline at cpuT0 with usage before, then usage after
// one second later, and returns the second reading.
func window(t *testing.T, r *cpuReader, set func(int), before, after int) CPUUsage {
	t.Helper()
	set(before)
	if _, ok, err := r.read(cpuT0); ok || err != nil {
		t.Fatalf("baseline reading: ok %v, err %v; want a silent baseline", ok, err)
	}
	set(after)
	u, ok, err := r.read(cpuT0.Add(time.Second))
	if err != nil || !ok {
		t.Fatalf("second reading: ok %v, err %v", ok, err)
	}
	return u
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCPUQuotaFromCPUMax(t *testing.T) {
	f := newFakeCgroups(t, true)
	f.write("lab/nsd-s3/cpu.max", "2000 100000\n") // 2% of a core
	r := f.reader("lab/nsd-s3", 0)
	// 10 ms of CPU in one second, of 20 ms allowed: half.
	u := window(t, r, func(n int) { f.usageV2("lab/nsd-s3", n) }, 5_000_000, 5_010_000)
	if !near(u.Utilisation, 0.5) || !near(u.Cores, 0.02) || u.Limit != "cpu.max of lab/nsd-s3" {
		t.Errorf("got %+v, want utilisation 0.5 of 0.02 cores from cpu.max of lab/nsd-s3", u)
	}
}

func TestCPUQuotaMaxTakesParentLimit(t *testing.T) {
	f := newFakeCgroups(t, true)
	f.write("system.slice/cpu.max", "300000 100000\n")              // 3 CPUs
	f.write("system.slice/dns/cpu.max", "50000 100000\n")           // 0.5 CPU: the smallest
	f.write("system.slice/dns/nsd.service/cpu.max", "max 100000\n") // none of its own
	r := f.reader("system.slice/dns/nsd.service", 4)                // cores: only without a quota
	u := window(t, r, func(n int) { f.usageV2("system.slice/dns/nsd.service", n) }, 0, 250_000)
	if !near(u.Utilisation, 0.5) || !near(u.Cores, 0.5) || u.Limit != "cpu.max of system.slice/dns" {
		t.Errorf("got %+v, want 0.5 of 0.5 cores from cpu.max of system.slice/dns", u)
	}
	// An absolute cgroup path (as the config may hand it on) reads the same.
	f.write("system.slice/cpu.max", "max\n") // period left out
	r = f.reader("/system.slice/dns/nsd.service", 0)
	u = window(t, r, func(n int) { f.usageV2("system.slice/dns/nsd.service", n) }, 0, 250_000)
	if !near(u.Cores, 0.5) {
		t.Errorf("absolute path: got %+v, want 0.5 cores", u)
	}
}

func TestCPUWithoutQuota(t *testing.T) {
	f := newFakeCgroups(t, true)
	f.write("system.slice/nsd.service/cpu.max", "max 100000\n")
	set := func(n int) { f.usageV2("system.slice/nsd.service", n) }
	// The cores key.
	u := window(t, f.reader("system.slice/nsd.service", 2.5), set, 0, 1_000_000)
	if !near(u.Utilisation, 0.4) || u.Limit != "cores" {
		t.Errorf("cores 2.5: got %+v, want 0.4 from cores", u)
	}
	// No cores: the machine's online CPUs (0-3: four).
	u = window(t, f.reader("system.slice/nsd.service", 0), set, 0, 1_000_000)
	if !near(u.Utilisation, 0.25) || u.Limit != "online CPUs" {
		t.Errorf("online: got %+v, want 0.25 of 4 online CPUs", u)
	}
	// The cgroup's effective cpuset comes before the online CPUs.
	f.write("system.slice/nsd.service/cpuset.cpus.effective", "1,3\n")
	u = window(t, f.reader("system.slice/nsd.service", 0), set, 0, 1_000_000)
	if !near(u.Utilisation, 0.5) || u.Limit != "cpuset" {
		t.Errorf("cpuset: got %+v, want 0.5 of the cpuset's 2 CPUs", u)
	}
	// A quota above the CPUs the group can run on is capped by them.
	f.write("system.slice/nsd.service/cpu.max", "800000 100000\n")
	u = window(t, f.reader("system.slice/nsd.service", 0), set, 0, 1_000_000)
	if !near(u.Cores, 2) || !strings.HasPrefix(u.Limit, "cpuset (below cpu.max") {
		t.Errorf("quota of 8 on 2 CPUs: got %+v, want 2 cores from the cpuset", u)
	}
}

func TestCPUCgroupV1(t *testing.T) {
	f := newFakeCgroups(t, false)
	f.write("cpu/lab-nsd-s1/cpu.cfs_quota_us", "1000\n")
	f.write("cpu/lab-nsd-s1/cpu.cfs_period_us", "100000\n")
	f.write("cpu/cpu.cfs_quota_us", "-1\n")
	f.write("cpu/cpu.cfs_period_us", "100000\n")
	set := func(ns int) { f.write("cpuacct/lab-nsd-s1/cpuacct.usage", strconv.Itoa(ns)+"\n") }
	u := window(t, f.reader("lab-nsd-s1", 0), set, 1_000_000_000, 1_008_000_000) // 8 ms of 10
	if !near(u.Utilisation, 0.8) || !near(u.Cores, 0.01) || u.Limit != "cpu.cfs_quota_us of lab-nsd-s1" {
		t.Errorf("v1: got %+v, want 0.8 of 0.01 cores", u)
	}
	// Quota lifted (-1): the online CPUs.
	f.write("cpu/lab-nsd-s1/cpu.cfs_quota_us", "-1\n")
	u = window(t, f.reader("lab-nsd-s1", 0), set, 0, 2_000_000_000)
	if !near(u.Utilisation, 0.5) || u.Limit != "online CPUs" {
		t.Errorf("v1 unlimited: got %+v, want 0.5 of 4 online CPUs", u)
	}
}

func TestCPUFailures(t *testing.T) {
	f := newFakeCgroups(t, true)
	cg := "system.slice/nsd.service"
	f.write(cg+"/cpu.max", "100000 100000\n")
	r := f.reader(cg, 0)
	at := func(s int) time.Time { return cpuT0.Add(time.Duration(s) * time.Second) }
	step := func(s int, wantOK bool, wantErr string) CPUUsage {
		t.Helper()
		u, ok, err := r.read(at(s))
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("t=%d: %v", s, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("t=%d: err %v, want one saying %q", s, err, wantErr)
		case ok != wantOK:
			t.Errorf("t=%d: ok %v, want %v", s, ok, wantOK)
		}
		return u
	}
	f.usageV2(cg, 3_000_000)
	step(0, false, "") // baseline
	f.usageV2(cg, 3_600_000)
	if u := step(1, true, ""); !near(u.Utilisation, 0.6) {
		t.Errorf("t=1: utilisation %v, want 0.6", u.Utilisation)
	}
	// The counter went back: the cgroup was made anew. An error, and the
	// reading is the new baseline.
	f.usageV2(cg, 100_000)
	step(2, false, "went back")
	f.usageV2(cg, 400_000)
	if u := step(3, true, ""); !near(u.Utilisation, 0.3) {
		t.Errorf("t=3: utilisation %v, want 0.3 from the new baseline", u.Utilisation)
	}
	// Garbage in cpu.stat.
	f.write(cg+"/cpu.stat", "usage_usec many\n")
	_, _, err := r.read(at(4))
	if !errors.Is(err, ErrCgroup) {
		t.Errorf("garbage usage: err %v, want ErrCgroup", err)
	}
	f.write(cg+"/cpu.stat", "user_usec 5\n")
	step(5, false, "no usage_usec")
	// Garbage in cpu.max (after a good baseline).
	f.usageV2(cg, 500_000)
	step(6, false, "")
	f.write(cg+"/cpu.max", "lots 100000\n")
	f.usageV2(cg, 600_000)
	if _, _, err := r.read(at(7)); !errors.Is(err, ErrCgroup) {
		t.Errorf("garbage cpu.max: err %v, want ErrCgroup", err)
	}
	f.write(cg+"/cpu.max", "100000 100000\n")
	f.usageV2(cg, 700_000)
	if u := step(8, true, ""); !near(u.Utilisation, 0.1) {
		t.Errorf("t=8: utilisation %v, want 0.1 (the baseline of t=7 holds)", u.Utilisation)
	}
	// The cgroup is gone: an error naming the file; when it is back, a new
	// baseline first.
	if err := os.RemoveAll(filepath.Join(f.root, cg)); err != nil {
		t.Fatal(err)
	}
	_, _, err = r.read(at(9))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nsd.service/cpu.stat") {
		t.Errorf("gone: err %v, want a missing cpu.stat", err)
	}
	f.usageV2(cg, 10)
	step(10, false, "")
	f.usageV2(cg, 200_010)
	if u := step(11, true, ""); !near(u.Utilisation, 0.05) {
		t.Errorf("t=11: utilisation %v, want 0.05 of the 4 online CPUs", u.Utilisation)
	}
	// Two readings at the same instant: no window, the baseline stays.
	step(11, false, "")
}

func TestCountCPUList(t *testing.T) {
	for in, want := range map[string]int{"0": 1, "0-3\n": 4, "0-1,4,6-7": 5, "": 0} {
		if n, err := countCPUList(in); err != nil || n != want {
			t.Errorf("countCPUList(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"a", "3-1", "1-", "-1"} {
		if _, err := countCPUList(in); !errors.Is(err, ErrCgroup) {
			t.Errorf("countCPUList(%q): err %v, want ErrCgroup", in, err)
		}
	}
}

func TestRunCPU(t *testing.T) {
	if err := RunCPU(context.Background(), "dns", CPUConfig{Interval: time.Second}, nil); err == nil {
		t.Error("RunCPU without a cgroup: no error")
	}
	if err := RunCPU(context.Background(), "dns", CPUConfig{Cgroup: "x", Interval: time.Second, Cores: -1}, nil); err == nil {
		t.Error("RunCPU with cores -1: no error")
	}
	f := newFakeCgroups(t, true)
	f.usageV2("g", 1000)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Sample)
	done := make(chan error)
	go func() {
		done <- RunCPU(ctx, "dns", CPUConfig{Cgroup: "g", Cores: 1, Interval: 5 * time.Millisecond, Root: f.root}, out)
	}()
	s := <-out // the first window's sample (the baseline sends none)
	if s.Kind != KindCPU || s.Service != "dns" || s.Err != nil || s.CPU == nil || s.CPU.Utilisation != 0 || s.CPU.Limit != "cores" {
		t.Errorf("first sample %+v (cpu %+v), want a KindCPU sample of utilisation 0 from cores", s, s.CPU)
	}
	if err := os.Remove(filepath.Join(f.root, "g", "cpu.stat")); err != nil {
		t.Fatal(err)
	}
	for s = <-out; s.Err == nil; s = <-out {
	}
	if s.CPU != nil || !errors.Is(s.Err, os.ErrNotExist) {
		t.Errorf("cgroup gone: sample %+v, want Err set and no CPU", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunCPU returned %v after its context ended", err)
	}
}
