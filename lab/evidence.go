package lab

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvEvidence names the folder where a Recorder keeps the files of a run
// that lost queries (default: <temp dir>/anycostd-evidence). Everything
// else a Recorder writes goes with the lab's folder.
const EnvEvidence = "ANYCOSTD_EVIDENCE"

// Recorder records, around one run of dnsperf through a DNSFarm, what it
// takes to say where a lost query went: captures of DNS and ICMPv6 on
// the router's client link (eth1) and server link (eth0) and on every
// server's eth0, the router's FIB and neighbor timeline (`ip -ts monitor
// route nexthop neigh`), every server's address changes, and every
// namespace's SNMP counters (nstat) before and after.
type Recorder struct {
	d *DNSFarm
	t testing.TB // nil from TryRecord
	// logf writes the recording's notes: the test's log, or the lab's.
	logf   func(format string, args ...any)
	dir    string
	label  string
	start  time.Time
	procs  []*Proc
	before map[string]map[string]uint64 // namespace -> counter -> value
	after  map[string]map[string]uint64
	// softnet backlog drops of the whole machine before and after
	softBefore, softAfter uint64
	stall                 *stallWatch
}

// captureFilter keeps DNS and ICMPv6 but for neighbor discovery (the
// monitor's neighbor lines show that).
const captureFilter = "udp port 53 or (icmp6 and ip6[40] < 133)"

// Record starts the recording; label names its files (unique per farm).
func (d *DNSFarm) Record(t testing.TB, label string) *Recorder {
	t.Helper()
	r := &Recorder{d: d, t: t, logf: t.Logf, label: label}
	if err := r.record(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stall.stop) // a test that fails before Stop
	return r
}

// TryRecord is Record outside a test: the notes go to the lab's log, and
// the lab's removal stops the stall watch of a recording never stopped.
// On an error, what it started runs until the lab is removed.
func (d *DNSFarm) TryRecord(label string) (*Recorder, error) {
	r := &Recorder{d: d, logf: d.Lab.logf, label: label}
	if err := r.record(); err != nil {
		return nil, err
	}
	d.Lab.addCleanup(r.stall.stop)
	return r, nil
}

// record starts the captures and monitors of r and reads the counters.
func (r *Recorder) record() error {
	d, label := r.d, r.label
	r.dir = filepath.Join(d.Lab.Dir(), "evidence-"+label)
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return fmt.Errorf("lab: Record: %w", err)
	}
	r.before = d.nstatAll(r.logf)
	r.softBefore, _ = softnetDrops()
	if err := r.capture(d.RouterHost, "eth0", "r1-eth0"); err != nil {
		return err
	}
	if err := r.capture(d.RouterHost, "eth1", "r1-eth1"); err != nil {
		return err
	}
	for _, s := range d.Servers {
		if err := r.capture(s.Host, "eth0", s.Name()+"-eth0"); err != nil {
			return err
		}
	}
	p, err := d.RouterHost.TryStart("monitor-"+label, "ip", "-ts", "monitor", "route", "nexthop", "neigh")
	if err != nil {
		return err
	}
	r.procs = append(r.procs, p)
	for _, s := range d.Servers {
		p, err := s.Host.TryStart("addrmon-"+label, "ip", "-ts", "monitor", "address")
		if err != nil {
			return err
		}
		r.procs = append(r.procs, p)
	}
	for _, p := range r.procs {
		if strings.Contains(p.name, "/dumpcap-") {
			if err := r.waitCapturing(p); err != nil {
				return err
			}
		}
	}
	r.stall = watchStalls()
	r.start = time.Now()
	return nil
}

// capture starts dumpcap on ifname of h, writing <dir>/<file>.pcap.
func (r *Recorder) capture(h *Host, ifname, file string) error {
	p, err := h.TryStart("dumpcap-"+r.label+"-"+ifname, "dumpcap", "-q", "-P", "-s", "160",
		"-i", ifname, "-f", captureFilter, "-w", filepath.Join(r.dir, file+".pcap"))
	if err != nil {
		return err
	}
	r.procs = append(r.procs, p)
	return nil
}

// waitCapturing waits until dumpcap says it captures (it has opened the
// interface and compiled the filter).
func (r *Recorder) waitCapturing(p *Proc) error {
	_, err := Wait(10*time.Second, "dumpcap "+p.name+" to capture", func() (bool, error) {
		b, err := os.ReadFile(p.logPath)
		if err != nil {
			return false, err
		}
		select {
		case <-p.done:
			return false, fmt.Errorf("dumpcap exited: %s", b)
		default:
		}
		return strings.Contains(string(b), "Capturing on"), nil
	})
	return err
}

// Stop ends the captures and monitors and reads the counters again.
func (r *Recorder) Stop() {
	if r.t != nil {
		r.t.Helper()
	}
	// A moment for the last frames to reach the capture files.
	time.Sleep(200 * time.Millisecond)
	r.stall.stop()
	// SIGTERM, not SIGINT: dumpcap flushes its file on either, but `ip
	// monitor` has no handler, and a test started in the background by a
	// shell (`go test ... &`) has SIGINT ignored, which its children
	// inherit: each monitor then sat out the 5 s wait below.
	for _, p := range r.procs {
		_ = p.Signal(syscall.SIGTERM)
	}
	for _, p := range r.procs {
		if err := p.WaitTimeout(5 * time.Second); err == ErrTimeout {
			p.Kill()
		}
	}
	r.after = r.d.nstatAll(r.logf)
	r.softAfter, _ = softnetDrops()
}

// Discard removes the recording's files (a run that lost nothing).
func (r *Recorder) Discard() {
	_ = os.RemoveAll(r.dir)
	for _, p := range r.procs {
		_ = os.Remove(p.logPath)
	}
}

// Keep copies the recording, with the logs of every process the lab ran
// so far (anycostd, FRR, NSD), to a folder that outlives the lab, and
// returns the folder.
func (r *Recorder) Keep() (string, error) {
	base := os.Getenv(EnvEvidence)
	if base == "" {
		base = filepath.Join(os.TempDir(), "anycostd-evidence")
	}
	dst := filepath.Join(base, r.d.Lab.Name()+"-"+r.label)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	var files []string
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		files = append(files, filepath.Join(r.dir, e.Name()))
	}
	logs, _ := filepath.Glob(filepath.Join(r.d.Lab.Dir(), "*.log"))
	files = append(files, logs...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return dst, err
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// CounterDeltas lists, per host namespace, the counters that went up
// during the recording and whose names say drop, error, overflow, no
// route or unreachable ("" when none did). The links' namespaces are left
// out: IPv6 is off there, so they discard every multicast frame the bridge
// hands them.
func (r *Recorder) CounterDeltas() string {
	var b strings.Builder
	links := map[string]bool{}
	r.d.Lab.mu.Lock()
	for _, k := range r.d.Lab.links {
		links[k.name] = true
	}
	r.d.Lab.mu.Unlock()
	for _, ns := range r.d.Lab.Namespaces() {
		if links[ns] {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(r.after[ns])) {
			v := r.after[ns][k]
			if !interestingCounter(k) || v <= r.before[ns][k] {
				continue
			}
			fmt.Fprintf(&b, "%s %s +%d\n", strings.TrimPrefix(ns, r.d.Lab.Name()+"-"), k, v-r.before[ns][k])
		}
	}
	if r.softAfter > r.softBefore {
		fmt.Fprintf(&b, "softnet backlog drops (whole machine) +%d\n", r.softAfter-r.softBefore)
	}
	return b.String()
}

func interestingCounter(name string) bool {
	for _, w := range []string{"Err", "NoRoute", "Drop", "Unreach", "Discard", "Fail", "Overflow", "Prune", "TooBig", "Truncated", "NoPorts", "AddrErr"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// nstatAll reads `nstat -asz` in every namespace of the lab.
func (d *DNSFarm) nstatAll(logf func(format string, args ...any)) map[string]map[string]uint64 {
	out := map[string]map[string]uint64{}
	for _, ns := range d.Lab.Namespaces() {
		b, err := runCmd("ip", "netns", "exec", ns, "nstat", "-asz")
		if err != nil {
			logf("lab: nstat in %s: %v", ns, err)
			continue
		}
		out[ns] = parseNstat(string(b))
	}
	return out
}

// parseNstat reads nstat's "name value rate" lines.
func parseNstat(s string) map[string]uint64 {
	m := map[string]uint64{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			m[f[0]] = v
		}
	}
	return m
}

// softnetDrops sums the second column of /proc/net/softnet_stat: packets
// every CPU's backlog queue (netdev_max_backlog) dropped, all namespaces
// together (veth pairs hand frames over through that queue).
func softnetDrops() (uint64, error) {
	b, err := os.ReadFile("/proc/net/softnet_stat")
	if err != nil {
		return 0, err
	}
	var sum uint64
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseUint(f[1], 16, 64)
		if err != nil {
			return 0, fmt.Errorf("softnet_stat %q: %w", line, err)
		}
		sum += v
	}
	return sum, nil
}

// stallWatch measures how long the machine left the test process without
// running: a goroutine sleeps 5 ms at a time and records the longest time
// between two wake-ups, while the machine's CPU pressure (PSI "some") and
// steal time are read before and after. A stall that long freezes every
// process of the lab alike (NSD, anycostd, dnsperf, the captures).
type stallWatch struct {
	once    sync.Once
	done    chan struct{}
	stopped chan struct{}
	longest time.Duration
	at      time.Time // when the longest gap ended
	psi0    time.Duration
	psi     time.Duration // CPU pressure during the watch
	steal0  uint64
	steal   uint64 // steal time during the watch, in clock ticks
}

func watchStalls() *stallWatch {
	w := &stallWatch{done: make(chan struct{}), stopped: make(chan struct{})}
	w.psi0, _ = cpuPressure()
	w.steal0, _ = stealTicks()
	go func() {
		defer close(w.stopped)
		last := time.Now()
		for {
			select {
			case <-w.done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			now := time.Now()
			if gap := now.Sub(last); gap > w.longest {
				w.longest, w.at = gap, now
			}
			last = now
		}
	}()
	return w
}

// stop ends the watch and reads the pressure figures; later calls do
// nothing.
func (w *stallWatch) stop() {
	w.once.Do(func() {
		close(w.done)
		<-w.stopped
		if p, err := cpuPressure(); err == nil {
			w.psi = p - w.psi0
		}
		if s, err := stealTicks(); err == nil {
			w.steal = s - w.steal0
		}
	})
}

// String says the longest stall and the pressure figures.
func (w *stallWatch) String() string {
	return fmt.Sprintf("longest stall of the test process %v (ended %s); CPU pressure (PSI some) %v; steal %d ticks",
		w.longest.Round(time.Millisecond), w.at.Format("15:04:05.000"), w.psi.Round(time.Millisecond), w.steal)
}

// cpuPressure reads the total of /proc/pressure/cpu's "some" line.
func cpuPressure() (time.Duration, error) {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return 0, err
	}
	for _, f := range strings.Fields(strings.SplitN(string(b), "\n", 2)[0]) {
		if v, ok := strings.CutPrefix(f, "total="); ok {
			us, err := strconv.ParseUint(v, 10, 63)
			return time.Duration(us) * time.Microsecond, err
		}
	}
	return 0, fmt.Errorf("/proc/pressure/cpu: no total in %q", b)
}

// stealTicks reads the machine's steal time (8th figure of /proc/stat's
// cpu line).
func stealTicks() (uint64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", f)
	}
	return strconv.ParseUint(f[8], 10, 64)
}
