package services

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/monitor"
)

// fakeAdvertiser records every wanted set and reports it on the wire at
// once, or a set with a withdrawal withdrawOnWire later.
type fakeAdvertiser struct {
	mu   sync.Mutex
	sets [][]Wanted
	// withdrawOnWire: a withdrawal is on the wire only this long after
	// Advertise (the OSPF mode's early try, which the router may drop,
	// waits for its acknowledgement or its resend: ospf/early.go).
	withdrawOnWire time.Duration
}

// closed is an on-wire channel that is closed: the fake has everything on
// the wire at once.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (f *fakeAdvertiser) Advertise(want []Wanted) (<-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, append([]Wanted(nil), want...))
	if f.withdrawOnWire > 0 && slices.ContainsFunc(want, func(w Wanted) bool { return w.Withdraw }) {
		ch := make(chan struct{})
		time.AfterFunc(f.withdrawOnWire, func() { close(ch) })
		return ch, nil
	}
	return closed, nil
}

func (f *fakeAdvertiser) last() map[string]Wanted {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]Wanted{}
	if len(f.sets) > 0 {
		for _, s := range f.sets[len(f.sets)-1] {
			out[s.Name] = s
		}
	}
	return out
}

func (f *fakeAdvertiser) Wire(ctx context.Context) ([]Wire, error) {
	var out []Wire
	for _, s := range f.last() {
		out = append(out, Wire{Name: s.Name, Prefix: s.Prefix, Mode: s.Mode, Advertised: !s.Withdraw, Wanted: !s.Withdraw, Metric: s.Metric, WantMetric: s.Metric})
	}
	return out, nil
}

func (f *fakeAdvertiser) Stop() error { return nil }

// fakeInputs hands each service's sample channel to the test.
type fakeInputs struct {
	mu    sync.Mutex
	outs  map[string]chan<- monitor.Sample
	waits map[string]func() time.Duration // each service's probeWait
}

func (f *fakeInputs) Start(ctx context.Context, s config.Service, probeWait func() time.Duration, out chan<- monitor.Sample) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.outs == nil {
		f.outs = map[string]chan<- monitor.Sample{}
		f.waits = map[string]func() time.Duration{}
	}
	f.outs[s.Name] = out
	f.waits[s.Name] = probeWait
}

// probeWait is what the probe of service name would wait now.
func (f *fakeInputs) probeWait(name string) time.Duration {
	f.mu.Lock()
	w := f.waits[name]
	f.mu.Unlock()
	return w()
}

func (f *fakeInputs) send(t *testing.T, s monitor.Sample) {
	t.Helper()
	f.mu.Lock()
	out := f.outs[s.Service]
	f.mu.Unlock()
	if out == nil {
		t.Fatalf("no inputs started for %s", s.Service)
	}
	s.At = time.Now()
	out <- s
}

func socket(name string, present bool, fill float64) monitor.Sample {
	return monitor.Sample{Service: name, Kind: monitor.KindSocket, Socket: &monitor.SocketState{Present: present, Fill: fill, Sockets: 1}}
}

func svc(name, addr string, metric uint16) config.Service {
	return config.Service{Name: name, Prefix: netip.MustParsePrefix(addr + "/128"), Metric: metric, DrainTime: 200 * time.Millisecond}
}

// paced builds a service's model parameters, paced by its mode: the
// static metric, the socket monitor, the drain and the farm rules as the tests configure
// them (the daemon's translation has the rest).
func paced(ospf, nd time.Duration) ParamsFunc {
	return func(s config.Service) (costmodel.Params, error) {
		p := costmodel.DefaultParams()
		p.StaticMetric, p.Tiers, p.DrainAction, p.FarmRules = s.Metric, s.Tiers, s.DrainAction, s.FarmRules
		p.MinInterval = ospf
		if s.Mode == config.ModeND {
			p.MinInterval = nd
		}
		if s.Socket != nil {
			p.Socket = costmodel.Monitor{Enabled: true, Interval: s.Socket.Interval}
		}
		return p, p.Validate()
	}
}

func start(t *testing.T, svcs ...config.Service) (*Manager, *fakeAdvertiser, *fakeInputs) {
	t.Helper()
	return startPaced(t, paced(50*time.Millisecond, 50*time.Millisecond), svcs...)
}

func startPaced(t *testing.T, params ParamsFunc, svcs ...config.Service) (*Manager, *fakeAdvertiser, *fakeInputs) {
	t.Helper()
	adv, in := &fakeAdvertiser{}, &fakeInputs{}
	m, err := New(svcs, params, adv, in, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go m.Run(ctx)
	t.Cleanup(func() { cancel(); <-m.done })
	return m, adv, in
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStaticServiceAdvertised(t *testing.T) {
	_, adv, _ := start(t, svc("dns", "2001:db8:53::53", 10), svc("ntp", "2001:db8:123::123", 20))
	eventually(t, "both services advertised", func() bool {
		l := adv.last()
		return l["dns"].Metric == 10 && !l["dns"].Withdraw && l["ntp"].Metric == 20 && !l["ntp"].Withdraw
	})
}

// TestWantedCarriesLoadAndCapacity: besides the metric, a mode is handed
// the model's load figure and the service's capacity.
func TestWantedCarriesLoadAndCapacity(t *testing.T) {
	dns := svc("dns", "2001:db8:53::53", 10)
	dns.Tiers = []costmodel.Tier{{Metric: 10, Up: 0.5, Down: 0.3}, {Metric: 20}}
	dns.Socket = &config.SocketMonitor{Port: 53, Interval: 100 * time.Millisecond}
	base := paced(50*time.Millisecond, 50*time.Millisecond)
	_, adv, in := startPaced(t, func(s config.Service) (costmodel.Params, error) {
		p, err := base(s)
		p.Capacity = 2.5
		return p, err
	}, dns)
	eventually(t, "inputs started", func() bool { in.mu.Lock(); defer in.mu.Unlock(); return len(in.outs) == 1 })
	in.send(t, socket("dns", true, 0.2))
	eventually(t, "advertised with its load and capacity", func() bool {
		w := adv.last()["dns"]
		return !w.Withdraw && w.Load > 0 && w.Capacity == 2.5
	})
}

// TestProbeWaitFollowsTheQueue: the probe is handed the model's wait: its
// timeout while the receive queue is shallow, hung_after over fall (3 s / 2)
// while the socket monitor shows it full and dropping (issue 14).
func TestProbeWaitFollowsTheQueue(t *testing.T) {
	dns := svc("dns", "2001:db8:53::53", 10)
	dns.Socket = &config.SocketMonitor{Port: 53, Interval: 100 * time.Millisecond}
	dns.Probe = &config.Probe{Kind: config.ProbeDNS, QName: "example.org.", Port: 53,
		Interval: 200 * time.Millisecond, Timeout: 100 * time.Millisecond, Rise: 1, Fall: 2}
	_, _, in := start(t, dns)
	eventually(t, "inputs started", func() bool { in.mu.Lock(); defer in.mu.Unlock(); return len(in.outs) == 1 })
	if got := in.probeWait("dns"); got != 100*time.Millisecond {
		t.Errorf("before any socket sample: wait %v, want the timeout 100ms", got)
	}
	full := socket("dns", true, 1)
	full.Socket.DropsDelta = 30
	in.send(t, full)
	eventually(t, "the wait at hung_after/fall behind a full queue", func() bool {
		return in.probeWait("dns") == 1500*time.Millisecond
	})
	eventually(t, "the wait back at the timeout once the queue is empty", func() bool {
		in.send(t, socket("dns", true, 0))
		return in.probeWait("dns") == 100*time.Millisecond
	})
}

func TestSocketGoneWithdrawsOnlyThatService(t *testing.T) {
	dns, ntp := svc("dns", "2001:db8:53::53", 10), svc("ntp", "2001:db8:123::123", 10)
	dns.Socket = &config.SocketMonitor{Port: 53, Interval: 100 * time.Millisecond}
	ntp.Socket = &config.SocketMonitor{Port: 123, Interval: 100 * time.Millisecond}
	_, adv, in := start(t, dns, ntp)
	eventually(t, "inputs started", func() bool { in.mu.Lock(); defer in.mu.Unlock(); return len(in.outs) == 2 })
	// Withdrawn until the socket is seen.
	eventually(t, "withdrawn before any socket sample", func() bool { return adv.last()["dns"].Withdraw })
	in.send(t, socket("dns", true, 0))
	in.send(t, socket("ntp", true, 0))
	eventually(t, "advertised once the sockets are seen", func() bool {
		l := adv.last()
		return !l["dns"].Withdraw && !l["ntp"].Withdraw
	})
	in.send(t, socket("dns", false, 0))
	eventually(t, "dns withdrawn after its socket went", func() bool { return adv.last()["dns"].Withdraw })
	if adv.last()["ntp"].Withdraw {
		t.Error("ntp withdrawn with dns")
	}
}

func TestDrainUndrainAndExplain(t *testing.T) {
	m, adv, _ := start(t, svc("dns", "2001:db8:53::53", 10))
	ctx := context.Background()
	eventually(t, "advertised", func() bool { return !adv.last()["dns"].Withdraw && adv.last()["dns"].Metric == 10 })
	if err := m.Drain(ctx, "dns", true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "drained", func() bool { return adv.last()["dns"].Withdraw })
	if err := m.Drain(ctx, "dns", false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "undrained", func() bool { return !adv.last()["dns"].Withdraw })
	if err := m.Drain(ctx, "nope", true); !errors.Is(err, ErrUnknownService) {
		t.Errorf("drain of an unknown service: %v", err)
	}
	ex, err := m.Explain(ctx, "dns")
	if err != nil || len(ex) != 1 {
		t.Fatalf("explain: %v %v", ex, err)
	}
	if _, err := m.Explain(ctx, "nope"); !errors.Is(err, ErrUnknownService) {
		t.Errorf("explain of an unknown service: %v", err)
	}
}

func TestUpdateChangesRemovesAdds(t *testing.T) {
	m, adv, _ := start(t, svc("dns", "2001:db8:53::53", 10), svc("ntp", "2001:db8:123::123", 10))
	eventually(t, "advertised", func() bool { return adv.last()["ntp"].Metric == 10 })
	if err := m.Update(context.Background(), []config.Service{svc("dns", "2001:db8:53::53", 40), svc("web", "2001:db8:80::80", 30)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "new set", func() bool {
		l := adv.last()
		_, ntp := l["ntp"]
		return l["dns"].Metric == 40 && l["web"].Metric == 30 && !ntp
	})
}

func TestDrainForShutdownHoldsDrainTime(t *testing.T) {
	m, adv, _ := start(t, svc("dns", "2001:db8:53::53", 10))
	eventually(t, "advertised", func() bool { return adv.last()["dns"].Metric == 10 })
	took, err := m.DrainForShutdown(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !adv.last()["dns"].Withdraw {
		t.Error("not withdrawn after the drain")
	}
	if took < 200*time.Millisecond {
		t.Errorf("drain returned after %v, before drain_time 200ms", took)
	}
}

// A withdrawal the mode has not yet got onto the wire (an early try not
// yet acknowledged, which the router may have dropped): drain_time counts
// from when it is, not from the decision.
func TestDrainForShutdownWaitsForResend(t *testing.T) {
	m, adv, _ := start(t, svc("dns", "2001:db8:53::53", 10))
	eventually(t, "advertised", func() bool { return adv.last()["dns"].Metric == 10 })
	adv.mu.Lock()
	adv.withdrawOnWire = 300 * time.Millisecond
	adv.mu.Unlock()
	took, err := m.DrainForShutdown(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if took < 500*time.Millisecond {
		t.Errorf("drain returned after %v, before the resend (300ms) and drain_time 200ms", took)
	}
}

// TestWantedCarriesTierPrefix: a service with a prefix on its dearest
// tier wants that prefix on the wire, at the dearest tier's metric,
// whenever it is advertised (config.Service.AdvertisedAs, docs/sites.md):
// as the fallback beside its /128 below the dearest tier, alone in the
// dearest tier (reached by load, then kept by a max-tier drain), and
// neither once withdrawn; the /128 with the fallback again when back.
func TestWantedCarriesTierPrefix(t *testing.T) {
	dns := svc("dns", "2001:db8:53::53", 10)
	wide := netip.MustParsePrefix("2001:db8:53::50/126")
	dns.Tiers = []costmodel.Tier{{Metric: 10, Up: 0.5, Down: 0.3}, {Metric: 20}}
	dns.TierPrefixes = []netip.Prefix{{}, wide}
	dns.DrainAction = costmodel.DrainMaxTier
	dns.Socket = &config.SocketMonitor{Port: 53, Interval: 100 * time.Millisecond}
	base := paced(50*time.Millisecond, 50*time.Millisecond)
	m, adv, in := startPaced(t, func(s config.Service) (costmodel.Params, error) {
		p, err := base(s)
		p.MinDwell, p.DownDwell, p.MaxDwell, p.Smoothing = 0, 0, 0, 0
		return p, err
	}, dns)
	ctx := context.Background()
	var got Wanted
	wants := func(w Wanted) func() bool {
		return func() bool {
			got = adv.last()["dns"]
			// A withdrawn service's prefix says nothing: the mode takes
			// it off the wire.
			return got.Withdraw == w.Withdraw && got.Metric == w.Metric && (w.Withdraw || got.Prefix == w.Prefix) && got.Fallback == w.Fallback
		}
	}
	step := func(what string, w Wanted) {
		t.Helper()
		if !waitFor(5*time.Second, wants(w)) {
			t.Fatalf("%s: wanted %+v, want prefix %s metric %d fallback %v withdraw %v", what, got, w.Prefix, w.Metric, w.Fallback, w.Withdraw)
		}
	}
	below := Wanted{Prefix: dns.Prefix, Metric: 10, Fallback: config.PrefixMetric{Prefix: wide, Metric: 20}}
	dearest := Wanted{Prefix: wide, Metric: 20}
	eventually(t, "inputs started", func() bool { in.mu.Lock(); defer in.mu.Unlock(); return len(in.outs) == 1 })
	in.send(t, socket("dns", true, 0))
	step("below the dearest tier", below)
	for i := 0; i < 100 && !wants(dearest)(); i++ {
		in.send(t, socket("dns", true, 0.9))
		time.Sleep(20 * time.Millisecond)
	}
	step("in the dearest tier by load", dearest)
	if err := m.Drain(ctx, "dns", true); err != nil {
		t.Fatal(err)
	}
	step("drained (max-tier)", dearest)
	in.send(t, socket("dns", false, 0))
	step("withdrawn: its socket gone", Wanted{Withdraw: true})
	if err := m.Drain(ctx, "dns", false); err != nil {
		t.Fatal(err)
	}
	in.send(t, socket("dns", true, 0))
	step("undrained, idle", below)
}

// waitFor polls cond until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); !cond(); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// A reconfigured service's new model gets the recent samples of every
// input of the old one (Manager.add's replay), one kind as much as another.
func TestReconfigureReplaysEveryInput(t *testing.T) {
	m, adv, in := start(t, svc("dns", "2001:db8:53::53", 10))
	ctx := context.Background()
	eventually(t, "advertised", func() bool { return adv.last()["dns"].Metric == 10 })
	drain := false
	for _, s := range []monitor.Sample{
		socket("dns", true, 0.1),
		{Service: "dns", Kind: monitor.KindProbe, Probe: &monitor.ProbeResult{OK: true, Latency: time.Millisecond}},
		{Service: "dns", Kind: monitor.KindExternal, External: &monitor.ExternalLoad{Load: 0.2}},
		{Service: "dns", Kind: monitor.KindCPU, CPU: &monitor.CPUUsage{Utilisation: 0.3, Cores: 1, Limit: "cores"}},
		{Service: "dns", Kind: monitor.KindDrain, Drain: &drain},
	} {
		in.send(t, s)
	}
	if err := m.Drain(ctx, "dns", false); err != nil {
		t.Fatal(err)
	}
	seen := func() map[costmodel.InputKind]uint64 {
		ex, err := m.Explain(ctx, "dns")
		if err != nil || len(ex) != 1 {
			t.Fatalf("explain: %v %v", ex, err)
		}
		out := map[costmodel.InputKind]uint64{}
		for _, v := range ex[0].Inputs {
			if v.Seen {
				out[v.Input] = v.Samples
			}
		}
		return out
	}
	var before map[costmodel.InputKind]uint64
	eventually(t, "every input seen", func() bool {
		before = seen()
		for k := range costmodel.Inputs() {
			if before[k] == 0 {
				return false
			}
		}
		return true
	})
	if err := m.Update(ctx, []config.Service{svc("dns", "2001:db8:53::53", 20)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reconfigured", func() bool { return adv.last()["dns"].Metric == 20 })
	after := seen()
	for k := range costmodel.Inputs() {
		if after[k] != before[k] {
			t.Errorf("input %v: the new model has %d samples, the old one had %d", k, after[k], before[k])
		}
	}
}
