package daemon

import (
	"net/netip"
	"testing"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

// TestOSPFModeLoadStep: the instance gets the set again when anything but
// the load changed, or a load moved by more than ServerLoadStep since it
// last got it; a smaller move is not handed over (it would only mark the
// unchanged LSAs pending for a pacing interval).
func TestOSPFModeLoadStep(t *testing.T) {
	rec := newRecorder()
	sp := &fakeSpeaker{rec: rec}
	m := &ospfMode{in: sp, loadStep: ospf.DefaultServerLoadStep}
	dns := services.Wanted{Name: "dns", Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Mode: config.ModeOSPF, Metric: 10, Capacity: 2}
	set := func(load float64, metric uint16) []ospf.Service {
		t.Helper()
		w := dns
		w.Load, w.Metric = load, metric
		if _, err := m.Advertise([]services.Wanted{w}); err != nil {
			t.Fatal(err)
		}
		sp.mu.Lock()
		defer sp.mu.Unlock()
		return sp.svcs
	}
	for _, step := range []struct {
		load    float64
		metric  uint16
		handed  int
		carried float64
	}{
		{0.10, 10, 1, 0.10}, // the first set
		{0.14, 10, 1, 0.10}, // within the step of 0.10
		{0.16, 10, 2, 0.16}, // above it
		{0.12, 10, 2, 0.16}, // within the step of 0.16
		{0.16, 10, 3, 0.16}, // the same set again (a reload's): handed
		{0.12, 20, 4, 0.12}, // the metric changed: the set goes, load and all
	} {
		got := set(step.load, step.metric)
		if n := rec.count("services dns=2001:db8:53::53/10") + rec.count("services dns=2001:db8:53::53/20"); n != step.handed {
			t.Errorf("load %.2f metric %d: the instance was handed %d sets, want %d", step.load, step.metric, n, step.handed)
		}
		if len(got) != 1 || got[0].Load != step.carried || got[0].Capacity != 2 {
			t.Errorf("load %.2f metric %d: instance has %+v, want load %.2f capacity 2", step.load, step.metric, got, step.carried)
		}
	}
}
