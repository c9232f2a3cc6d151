package lab

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// farmServiceTOML is the lab's DNS service with the socket monitor, the
// probe, docs/quickstart.md's tiers and the given capacity.
func farmServiceTOML(capacity float64) string {
	return fmt.Sprintf("[[service]]\nname = \"dns\"\nprefix = %q\nmetric = 10\ndrain_time = \"0s\"\ncapacity = %g\nfarm_rules = true\n\n%s%s",
		Anycast.String(), capacity, dnsMonitorsTOML, TiersTOML)
}

// Issue 14: in a farm of three servers of different capacity (real FRR,
// real daemons, NSD idle), each server's `anycostd cost --json` shows the
// two others as its peers, read from its own LSDB: advertised at metric
// 10, with the load, capacity and state of their server load LSAs; and
// the text form shows the farm view.
func TestFarmViewShowsPeers(t *testing.T) {
	capacity := []float64{1, 2, 0.5}
	d := NewDNSFarm(t, len(capacity), nil)
	for i, s := range d.Servers {
		s.WriteConfig(s.TOML(farmServiceTOML(capacity[i])))
		s.Start()
	}
	fibIs(t, d.Farm, Anycast, 25*time.Second, "3-way ECMP", LinkLocals(d.Servers...))
	for i, s := range d.Servers {
		self, err := costmodel.ParseRouterID(s.RouterID)
		if err != nil {
			t.Fatal(err)
		}
		var last string
		took := WaitFor(t, 10*time.Second, s.Name()+": cost --json shows both peers with their load LSAs", func() (bool, error) {
			e, err := s.Cost("dns")
			if err != nil {
				return false, err
			}
			f := e.Farm
			if f == nil {
				last = "no farm view"
				return false, nil
			}
			if f.Self != self || f.Capacity != capacity[i] {
				return false, fmt.Errorf("farm view of %s: self %s capacity %g, want %s and %g", s.Name(), f.Self, f.Capacity, self, capacity[i])
			}
			var got []string
			for _, p := range f.Peers {
				got = append(got, fmt.Sprintf("%s withdrawn=%v metric=%d load_known=%v capacity=%g state=%s",
					p.RouterID, p.Withdrawn, p.Metric, p.LoadKnown, p.Capacity, p.State))
			}
			var want []string
			for j, o := range d.Servers {
				if j != i {
					want = append(want, fmt.Sprintf("%s withdrawn=false metric=10 load_known=true capacity=%g state=advertised", o.RouterID, capacity[j]))
				}
			}
			last = strings.Join(got, "; ")
			if !slices.Equal(got, want) {
				return false, nil
			}
			if !f.Active || len(f.CheapestSet) != 3 {
				return false, fmt.Errorf("farm view of %s with every peer's load: active %v (%s), cheapest set %v", s.Name(), f.Active, f.Why, f.CheapestSet)
			}
			return true, nil
		})
		t.Logf("%s: peers in cost --json after %v: %s", s.Name(), took.Round(time.Millisecond), last)
	}
	// How fresh the views stay depends on the peers' LSAs arriving: log
	// what each server's instance dropped (a load LSA relayed by the
	// router within MinLSArrival of the previous one waits for the
	// router's retransmission).
	for _, s := range d.Servers {
		if st, err := s.Status(); err == nil {
			t.Logf("%s: OSPF drops %v", s.Name(), st.Counters.Dropped)
		}
	}
	out, err := d.Servers[0].CLI("cost", "dns")
	if err != nil {
		t.Fatalf("cost: %v: %s", err, out)
	}
	for _, want := range []string{"Farm view: active", "192.0.2.12  metric 10", "192.0.2.13  metric 10", "Cheapest tier, metric 10: "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("anycostd cost lacks %q:\n%s", want, out)
		}
	}
}
