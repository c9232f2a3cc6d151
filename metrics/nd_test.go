package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/services"
)

type fakeND struct {
	st  ndproxy.Status
	err error
}

func (f *fakeND) Status(ctx context.Context) (ndproxy.Status, error) { return f.st, f.err }

// ndStatus is an ND speaker with two services: dns active and holding
// the address, web idle because the router never solicited anything.
func ndStatus() ndproxy.Status {
	return ndproxy.Status{
		Interface: "eth0",
		MinGap:    500 * time.Millisecond,
		Counters: ndproxy.Counters{
			In:      map[string]uint64{"ns": 4, "na": 120},
			Out:     map[string]uint64{"turn": 61, "answer": 2, "call": 1},
			Dropped: map[string]uint64{"malformed": 3, "hop_limit": 1, "other_target": 28},
		},
		Solicitations: 9,
		Services: []ndproxy.ServiceStatus{
			{
				Name: "dns", Address: "2001:db8:1::53", State: "active", Metric: 20, Weight: 2,
				HolderSelf: true, Peers: []string{"02:00:00:00:00:12", "02:00:00:00:00:13"},
				LastTurn: at(1500),
				Stats: ndproxy.SchedulerStats{
					Turns: 61, Answers: 2, Calls: 1, PeerNAs: 120, Solicits: 4, Ignored: 1, Queries: 9000,
					Takeovers: 55, Standbys: 2, TurnsEnded: 60, Held: 42 * time.Second,
				},
				Timing: ndproxy.Timing{Weight: 2, MeanWait: 1480 * time.Millisecond, MaxWait: 4500 * time.Millisecond},
			},
			{
				Name: "web", Address: "2001:db8:1::80", State: "idle", Weight: 1, Peers: []string{},
				IdleCause: ndproxy.IdleNoSolicitation.String(), IdleReason: "no Neighbor Solicitation has reached eth0 at all",
				Timing: ndproxy.Timing{Weight: 1, MeanWait: 990 * time.Millisecond, MaxWait: 2520 * time.Millisecond},
			},
		},
	}
}

func TestScrapeND(t *testing.T) {
	fams := scrape(t, NewHandler(NewCollector(Sources{OSPF: &fakeStatus{st: status()}, ND: &fakeND{st: ndStatus()}}, nil), nil))
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"anycostd_source_up", []string{"source=nd 1", "source=ospf 1"}},
		{"anycostd_nd_min_gap_seconds", []string{"interface=eth0 0.5"}},
		{"anycostd_nd_messages_received_total", []string{"type=na 120", "type=ns 4"}},
		{"anycostd_nd_messages_sent_total", []string{"type=answer 2", "type=call 1", "type=turn 61"}},
		{"anycostd_nd_messages_ignored_total", []string{"reason=hop_limit 1", "reason=malformed 3", "reason=other_target 28"}},
		{"anycostd_nd_solicitations_heard_total", []string{" 9"}},
		{"anycostd_nd_service_state", []string{
			"service=dns,state=active 1", "service=dns,state=idle 0", "service=dns,state=standby 0", "service=dns,state=withdrawn 0",
			"service=web,state=active 0", "service=web,state=idle 1", "service=web,state=standby 0", "service=web,state=withdrawn 0"}},
		{"anycostd_nd_service_idle_cause", []string{
			"cause=no_solicitation,service=web 1", "cause=off_link,service=web 0", "cause=other_addresses,service=web 0"}},
		{"anycostd_nd_service_weight", []string{"service=dns 2", "service=web 1"}},
		{"anycostd_nd_service_turn_wait_mean_seconds", []string{"service=dns 1.48", "service=web 0.99"}},
		{"anycostd_nd_service_turn_wait_max_seconds", []string{"service=dns 4.5", "service=web 2.52"}},
		{"anycostd_nd_service_holder", []string{"service=dns 1", "service=web 0"}},
		{"anycostd_nd_service_peers", []string{"service=dns 2", "service=web 0"}},
		{"anycostd_nd_service_last_turn_timestamp_seconds", []string{fmt.Sprintf("service=dns %g", float64(at(1500).UnixMilli())/1e3)}},
		{"anycostd_nd_service_turns_total", []string{"service=dns 61", "service=web 0"}},
		{"anycostd_nd_service_turns_ended_total", []string{"service=dns 60", "service=web 0"}},
		{"anycostd_nd_service_turn_seconds_total", []string{"service=dns 42", "service=web 0"}},
		{"anycostd_nd_service_takeovers_total", []string{"service=dns 55", "service=web 0"}},
		{"anycostd_nd_service_solicitations_answered_total", []string{"service=dns 2", "service=web 0"}},
		{"anycostd_nd_service_solicitations_total", []string{"service=dns 4", "service=web 0"}},
		{"anycostd_nd_service_solicitations_unanswered_total", []string{"service=dns 1", "service=web 0"}},
		{"anycostd_nd_service_peer_advertisements_total", []string{"service=dns 120", "service=web 0"}},
		{"anycostd_nd_service_calls_total", []string{"service=dns 1", "service=web 0"}},
		{"anycostd_nd_service_queries_total", []string{"service=dns 9000", "service=web 0"}},
		{"anycostd_nd_service_standbys_total", []string{"service=dns 2", "service=web 0"}},
	} {
		if diff := cmp.Diff(tc.want, values(fams, tc.name)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	for name, f := range fams {
		if !strings.HasPrefix(name, "anycostd_nd_") {
			continue
		}
		if len(f.GetHelp()) < 20 {
			t.Errorf("%s: help %q", name, f.GetHelp())
		}
	}
	// The OSPF instance's metrics are still there beside them.
	if got := values(fams, "anycostd_ospf_lsas_sent_total"); !cmp.Equal(got, []string{" 9"}) {
		t.Errorf("anycostd_ospf_lsas_sent_total %q", got)
	}
}

// TestScrapeNDOnly: without an OSPF instance the services' metrics come
// from the ND mode's report of the wire; no OSPF metric is exported (the
// ND speaker's own are anycostd_nd_*).
func TestScrapeNDOnly(t *testing.T) {
	// Both services run (an idle one answers the router's first
	// solicitation).
	w := &fakeWire{list: []services.Wire{
		{Name: "dns", Prefix: netip.MustParsePrefix("2001:db8:1::53/128"), Mode: config.ModeND, Advertised: true, Metric: 20, Wanted: true, WantMetric: 20},
		{Name: "web", Prefix: netip.MustParsePrefix("2001:db8:1::80/128"), Mode: config.ModeND, Advertised: true, Wanted: true},
	}}
	fams := scrape(t, NewHandler(NewCollector(Sources{ND: &fakeND{st: ndStatus()}, Wire: w}, nil), nil))
	for name := range fams {
		if strings.HasPrefix(name, "anycostd_ospf_") {
			t.Errorf("%s exported by a daemon without OSPF: %q", name, values(fams, name))
		}
	}
	if diff := cmp.Diff([]string{"service=dns 0", "service=web 0"}, values(fams, "anycostd_service_withdrawn")); diff != "" {
		t.Errorf("anycostd_service_withdrawn (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"reason=hop_limit 1", "reason=malformed 3", "reason=other_target 28"},
		values(fams, "anycostd_nd_messages_ignored_total")); diff != "" {
		t.Errorf("anycostd_nd_messages_ignored_total (-want +got):\n%s", diff)
	}
}

// TestScrapeNDDown: a failing ND speaker shows as source nd 0 and its
// metrics are left out.
func TestScrapeNDDown(t *testing.T) {
	fams := scrape(t, NewHandler(NewCollector(Sources{ND: &fakeND{err: errors.New("ND speaker stopped")}}, nil), nil))
	if diff := cmp.Diff([]string{"source=nd 0"}, values(fams, "anycostd_source_up")); diff != "" {
		t.Errorf("anycostd_source_up (-want +got):\n%s", diff)
	}
	for name := range fams {
		if strings.HasPrefix(name, "anycostd_nd_") {
			t.Errorf("%s exported without an ND status", name)
		}
	}
}
