package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/monitor"
)

// costConfig has services with tiers and monitors (dns), a probe and
// drain_action = "max-tier" (web) and none (ntp).
const costConfig = "../../testdata/cost.toml"

// whatIfPlan plans a what-if run of the named service of cfg, its
// parameters as the daemon builds them.
func whatIfPlan(t *testing.T, cfg *config.Config, name string, set costmodel.WhatIfSet) *costmodel.WhatIfPlan {
	t.Helper()
	svc := cfg.Service(name)
	if svc == nil {
		t.Fatalf("no service %s", name)
	}
	p, err := ModelParams(cfg, *svc)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := costmodel.PlanWhatIf(name, p, svc.DrainFile != "", set, 0)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func ptr[T any](v T) *T { return &v }

// scriptedInputs stand in for the monitors of a running daemon: they send
// a what-if plan's samples (the measured inputs and the drain file) in
// real time, as the monitors would.
type scriptedInputs struct {
	plans map[string]*costmodel.WhatIfPlan

	mu   sync.Mutex
	late time.Duration // the latest delivery after its planned time
}

// lateness is how late the latest sample reached the daemon: over about
// 100 ms a probe looks stale to the daemon (stale after 3 intervals of
// 200 ms) and not to the what-if, which assumes delivery on time.
func (in *scriptedInputs) lateness() time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.late
}

func (in *scriptedInputs) Start(ctx context.Context, s config.Service, _ func() time.Duration, out chan<- monitor.Sample) {
	pl := in.plans[s.Name]
	if pl == nil {
		return
	}
	start := time.Now()
	long := *pl
	long.Duration *= 3 // the inputs hold well past the simulated time
	go func() {
		for _, cs := range long.Samples(start) {
			ms := monitor.Sample{Service: s.Name, At: cs.At}
			switch cs.Input {
			case costmodel.InputSocket:
				ms.Kind = monitor.KindSocket
				ms.Socket = &monitor.SocketState{Present: cs.Present, Fill: cs.RQueue, DropsDelta: uint32(cs.Drops)}
				if cs.Present {
					ms.Socket.Sockets = 1
				}
			case costmodel.InputProbe:
				ms.Kind, ms.Probe = monitor.KindProbe, &monitor.ProbeResult{OK: cs.OK, Latency: cs.Latency}
			case costmodel.InputExternal:
				ms.Kind = monitor.KindExternal
				if cs.Err != "" {
					ms.Err = fmt.Errorf("%s", cs.Err)
				} else {
					ms.External = &monitor.ExternalLoad{Load: cs.Load}
				}
			case costmodel.InputDrainFile:
				ms.Kind, ms.Drain = monitor.KindDrain, ptr(cs.Drained)
			default:
				continue // the manual drain comes over the control socket
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(cs.At)):
			}
			select {
			case <-ctx.Done():
				return
			case out <- ms:
			}
			in.mu.Lock()
			in.late = max(in.late, time.Since(cs.At))
			in.mu.Unlock()
		}
	}()
}

// TestWhatIfEqualsDaemon: what-if gives the metric a running daemon (with
// the real service manager, its monitors replaced by the same inputs in
// real time) advertises once the inputs have held for the simulated time.
// The daemons run side by side.
func TestWhatIfEqualsDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs daemons for about 12 s")
	}
	text, err := os.ReadFile(costConfig)
	if err != nil {
		t.Fatal(err)
	}
	svcText := string(text[strings.Index(string(text), "[[service]]"):])
	type run struct {
		name, service string
		cfgPath       string
		wi            costmodel.WhatIfResult
		inputs        *scriptedInputs
	}
	var runs []*run
	wait := time.Duration(0)
	on := true
	for _, tc := range []struct {
		name    string
		service string
		set     costmodel.WhatIfSet
	}{
		{"rqueue=0.7", "dns", costmodel.WhatIfSet{RQueue: ptr(0.7)}},
		{"rqueue=0.9,probe_ms=10", "dns", costmodel.WhatIfSet{RQueue: ptr(0.9), ProbeMS: ptr(10.0)}},
		{"external=0.3,probe_ms=45,drops=2", "dns", costmodel.WhatIfSet{External: ptr(0.3), ProbeMS: ptr(45.0), DropRate: ptr(2.0)}},
		{"probe=fail", "dns", costmodel.WhatIfSet{ProbeOK: ptr(false)}},
		{"drain=on", "dns", costmodel.WhatIfSet{Drain: &on}},
		{"drain=on,probe_ms=30", "web", costmodel.WhatIfSet{Drain: &on, ProbeMS: ptr(30.0)}},
		{"", "ntp", costmodel.WhatIfSet{}},
	} {
		r := &run{name: tc.service + "/" + tc.name, service: tc.service}
		r.cfgPath = filepath.Join(t.TempDir(), "anycostd.toml")
		daemonConfig(t, r.cfgPath, "192.0.2.11", "", svcText)
		cfg, err := config.Load(r.cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		pl := whatIfPlan(t, cfg, tc.service, tc.set)
		if r.wi, err = pl.Run(time.Unix(0, 0)); err != nil {
			t.Fatalf("%s: what-if: %v", r.name, err)
		}
		wait = max(wait, pl.Duration)

		r.inputs = &scriptedInputs{plans: map[string]*costmodel.WhatIfPlan{tc.service: pl}}
		td := newTestDaemon(t, r.cfgPath, func(td *testDaemon) { td.inputs = r.inputs })
		td.rec.waitFor(t, "run")
		if tc.set.Drain != nil && *tc.set.Drain {
			if _, err := client(r.cfgPath).Drain(context.Background(), tc.service, true); err != nil {
				t.Fatalf("%s: drain: %v", r.name, err)
			}
		}
		runs = append(runs, r)
	}
	time.Sleep(wait + 500*time.Millisecond)

	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			c := client(r.cfgPath)
			ex, err := c.Explain(context.Background(), r.service)
			if err != nil || len(ex) != 1 {
				t.Fatalf("cost: %v, %+v", err, ex)
			}
			st, err := c.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			v := ex[0]
			want := r.wi.Decision.Advert()
			var wire costmodel.Advert
			for _, w := range st.Services {
				if w.Name == r.service {
					wire = costmodel.Advert{Withdrawn: !w.Advertised, Metric: w.Metric}
				}
			}
			if wire.Withdrawn {
				wire.Metric = 0
			}
			if wire != want || v.Advertised != want || v.Held {
				t.Errorf("daemon: on the wire %s, model %s (held %v); what-if: %s; the daemon got its inputs up to %v late\ndaemon's last changes:\n%s",
					wire, v.Advertised, v.Held, want, r.inputs.lateness().Round(time.Millisecond), changeList(v.History))
			}
			t.Logf("inputs reached the daemon up to %v after their planned time", r.inputs.lateness().Round(time.Millisecond))
			if v.Tier != r.wi.Explanation.Tier {
				t.Errorf("daemon in tier %d, what-if in tier %d", v.Tier, r.wi.Explanation.Tier)
			}
		})
	}
}

// changeList writes changes one a line.
func changeList(cs []costmodel.Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  %s -> %s: %s\n", c.From, c.To, c.Reason)
	}
	return b.String()
}
