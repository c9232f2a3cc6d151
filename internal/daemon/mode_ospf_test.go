package daemon

import (
	"net/netip"
	"testing"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/services"
)

// TestOSPFModeHandsLoads: the instance gets every set, however little its
// load moved: the instance alone decides what reaches the wire (the server
// load LSA's step and settle, ospf/serverload.go), so a load that settles
// within the step of the one on the wire still reaches it (issue 13).
func TestOSPFModeHandsLoads(t *testing.T) {
	rec := newRecorder()
	sp := &fakeSpeaker{rec: rec}
	m := &ospfMode{in: sp}
	dns := services.Wanted{Name: "dns", Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Mode: config.ModeOSPF, Metric: 10, Capacity: 2}
	for i, step := range []struct {
		load   float64
		metric uint16
	}{
		{0.10, 10}, // the first set
		{0.14, 10}, // within the instance's step of 0.10
		{0.16, 10},
		{0.155, 10},
		{0.12, 20}, // the metric changed
	} {
		w := dns
		w.Load, w.Metric = step.load, step.metric
		if _, err := m.Advertise([]services.Wanted{w}); err != nil {
			t.Fatal(err)
		}
		sp.mu.Lock()
		got := sp.svcs
		sp.mu.Unlock()
		if n := rec.count("services dns=2001:db8:53::53/10") + rec.count("services dns=2001:db8:53::53/20"); n != i+1 {
			t.Errorf("load %.3f metric %d: the instance was handed %d sets, want %d", step.load, step.metric, n, i+1)
		}
		if len(got) != 1 || got[0].Load != step.load || got[0].Capacity != 2 || got[0].Metric != step.metric {
			t.Errorf("load %.3f metric %d: instance has %+v, want that load and metric, capacity 2", step.load, step.metric, got)
		}
	}
}
