// Package controltest holds what the tests of the control protocol's
// two ends share: a Backend with fixed answers and sample results (an OSPF
// instance's status and database, an ND speaker's status) to render and
// send.
package controltest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

// Now is the time the samples are taken at.
var Now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Backend answers a control server with fixed data: StatusResult,
// Entries and Explanations, or Err for every request.
type Backend struct {
	StatusResult control.Status
	Entries      []ospf.LSDBEntry
	Explanations []costmodel.Explanation
	Err          error

	mu      sync.Mutex
	drains  []string
	explain int
}

// Status returns StatusResult.
func (b *Backend) Status(ctx context.Context) (control.Status, error) { return b.StatusResult, b.Err }

// LSDB returns Entries.
func (b *Backend) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) { return b.Entries, b.Err }

// Drain records the drain of service "dns" or of every service ("");
// other names are unknown.
func (b *Backend) Drain(ctx context.Context, service string, on bool) error {
	if b.Err != nil {
		return b.Err
	}
	if service != "" && service != "dns" {
		return fmt.Errorf("no such service %q", service)
	}
	b.mu.Lock()
	b.drains = append(b.drains, fmt.Sprintf("%s=%v", service, on))
	b.mu.Unlock()
	return nil
}

// Drains lists the drains asked for, as "service=on".
func (b *Backend) Drains() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.drains...)
}

// Explain answers like services.Manager: every explanation for "", else
// the named service's, or an error naming the known services.
func (b *Backend) Explain(ctx context.Context, service string) ([]costmodel.Explanation, error) {
	b.mu.Lock()
	b.explain++
	b.mu.Unlock()
	if b.Err != nil || service == "" {
		return b.Explanations, b.Err
	}
	var known []string
	for _, e := range b.Explanations {
		if e.Service == service {
			return []costmodel.Explanation{e}, nil
		}
		known = append(known, e.Service)
	}
	return nil, fmt.Errorf("no such service %q (known: %v)", service, known)
}

// Explained counts the Explain requests served.
func (b *Backend) Explained() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.explain
}

// Status is the status of a daemon that runs both modes: OSPFStatus,
// NDStatus, and OSPFStatus's services on the wire.
func Status() control.Status {
	o, nd := OSPFStatus(), NDStatus()
	return control.Status{OSPF: &o, ND: &nd, Services: Wire()}
}

// Wire is what OSPFStatus's services have on the wire.
func Wire() []services.Wire {
	return []services.Wire{
		{Name: "dns", Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Advertised: true, Metric: 10, Wanted: true, WantMetric: 10},
		{Name: "ntp", Prefix: netip.MustParsePrefix("2001:db8:123::123/128"), Advertised: true, Metric: 10, Wanted: true, WantMetric: 40,
			NextChange: Now.Add(800 * time.Millisecond)},
		{Name: "web", Prefix: netip.MustParsePrefix("2001:db8:80::80/128"), WantMetric: 10},
	}
}

// Serve serves b on a socket in a temporary folder until the test ends and
// returns the socket's path.
func Serve(t testing.TB, b control.Backend) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "anycostd.sock")
	ln, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := control.NewServer(ln, b, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	go srv.Serve(ctx)
	t.Cleanup(func() {
		cancel()
		srv.Close()
	})
	return path
}

// OSPFStatus is an OSPF instance's status with one neighbor of each kind and a
// service in each state.
func OSPFStatus() ospf.Status {
	return ospf.Status{
		RouterID: "192.0.2.11",
		Area:     "0.0.0.0",
		Interface: ospf.InterfaceStatus{
			Name: "eth0", Index: 2, InterfaceID: 2, State: "DROther",
			LinkLocal: "fe80::11", MTU: 1500, Cost: 10,
			DR: "192.0.2.1", BDR: "192.0.2.2", HelloSec: 1, DeadSec: 4,
		},
		Neighbors: []ospf.NeighborStatus{
			{RouterID: "192.0.2.1", Address: "fe80::1", InterfaceID: 5, Priority: 10, State: "Full", Role: "DR",
				DeadIn: 3200 * time.Millisecond, Uptime: 3725 * time.Second},
			{RouterID: "192.0.2.2", Address: "fe80::2", InterfaceID: 6, Priority: 5, State: "Full", Role: "BDR",
				DeadIn: 2900 * time.Millisecond, Uptime: 61 * time.Second, RxmtCount: 1},
			{RouterID: "192.0.2.12", Address: "fe80::12", InterfaceID: 2, Priority: 0, State: "2-Way", Role: "DROther",
				DeadIn: 3900 * time.Millisecond, Uptime: 59 * time.Second},
		},
		Services: []ospf.ServiceStatus{
			{Name: "dns", Prefix: "2001:db8:53::53/128", Advertised: true, Metric: 10, Wanted: true, WantMetric: 10,
				LSID: "0.0.0.1", Seq: "80000003"},
			{Name: "ntp", Prefix: "2001:db8:123::123/128", Advertised: true, Metric: 10, Wanted: true, WantMetric: 40,
				LSID: "0.0.0.2", Seq: "80000007", NextChange: Now.Add(800 * time.Millisecond)},
			{Name: "web", Prefix: "2001:db8:80::80/128", Wanted: false, WantMetric: 10, LSID: "0.0.0.3",
				ResendAt: Now.Add(900 * time.Millisecond)},
		},
		Pacing: ospf.PacingStatus{MinLSInterval: 1100 * time.Millisecond, RouterMinLSArrival: 52 * time.Millisecond,
			Learned: true, WithdrawWithin: 72 * time.Millisecond},
		Counters: ospf.Counters{
			PacketsIn:    map[string]uint64{"hello": 120, "lsupdate": 8, "lsack": 5},
			PacketsOut:   map[string]uint64{"hello": 118, "lsupdate": 6},
			Dropped:      map[string]uint64{"bad-checksum": 1, "wrong-area": 2},
			LSAsIn:       14,
			LSAsOut:      9,
			Retransmits:  1,
			Originations: 7,
			EarlyTries:   3, EarlyTaken: 2, EarlyResends: 1,
		},
	}
}

// LSDB is a database with an LSA of each scope, two of them ours.
func LSDB() []ospf.LSDBEntry {
	return []ospf.LSDBEntry{
		{Scope: "link", Type: "Link", TypeCode: 0x0008, LSID: "0.0.0.5", AdvRouter: "192.0.2.1", Age: 35,
			Seq: "80000002", Checksum: "1a2b", Length: 56, Summary: "fe80::1"},
		{Scope: "link", Type: "Link", TypeCode: 0x0008, LSID: "0.0.0.2", AdvRouter: "192.0.2.11", Age: 3,
			Seq: "80000001", Checksum: "3c4d", Length: 44, Self: true, Summary: "fe80::11"},
		{Scope: "area", Type: "Router", TypeCode: 0x2001, LSID: "0.0.0.0", AdvRouter: "192.0.2.1", Age: 35,
			Seq: "80000004", Checksum: "5e6f", Length: 40, Summary: "transit 0.0.0.5/192.0.2.1 cost 10"},
		{Scope: "area", Type: "Intra-Prefix", TypeCode: 0x2009, LSID: "0.0.0.1", AdvRouter: "192.0.2.11", Age: 3,
			Seq: "80000003", Checksum: "7081", Length: 52, Self: true, Summary: "2001:db8:53::53/128 metric 10"},
		{Scope: "as", Type: "AS-External", TypeCode: 0x4005, LSID: "0.0.0.1", AdvRouter: "192.0.2.1", Age: 1200,
			Seq: "80000001", Checksum: "92a3", Length: 36, Summary: "2001:db8:ffff::/48 metric 20"},
	}
}

// NDStatus is an ND speaker with a service in each kind of state:
// dns active and holding the address, ntp withdrawn while a peer holds
// it, web idle because no solicitation ever came.
func NDStatus() ndproxy.Status {
	ms := func(n int) time.Time { return Now.Add(time.Duration(n) * time.Millisecond) }
	return ndproxy.Status{
		Interface: "eth0", Source: "fe80::11", MAC: "02:00:00:00:00:11",
		MinGap: 500 * time.Millisecond, StandbyAfter: 30 * time.Second,
		PrefixesOnLink: []string{"2001:db8:1::/64"},
		Counters: ndproxy.Counters{
			In:      map[string]uint64{"na": 120, "ns": 6},
			Out:     map[string]uint64{"answer": 2, "call": 1, "turn": 61},
			Dropped: map[string]uint64{"hop_limit": 1, "malformed": 3, "other_target": 28, "self": 64},
		},
		Solicitations: 9,
		Services: []ndproxy.ServiceStatus{
			{
				Name: "dns", Address: "2001:db8:1::53", State: "active", Since: ms(-62000), Reason: "solicited for the address",
				Metric: 20, Weight: 2, Holder: "02:00:00:00:00:11", HolderSelf: true,
				LastNA: ms(-1200), NextTurn: ms(300), LastQuery: ms(-1), LastTurn: ms(-1200),
				Peers:    []string{"02:00:00:00:00:12", "02:00:00:00:00:13"},
				Counting: true, NAsSent: 63, MeanTurn: 700 * time.Millisecond,
				Stats: ndproxy.SchedulerStats{Turns: 61, Answers: 2, Calls: 1, PeerNAs: 120, Solicits: 4, Ignored: 1,
					Queries: 90000, Takeovers: 55, Activation: 1, TurnsEnded: 60, Held: 42 * time.Second},
				Timing: ndproxy.Timing{Weight: 2, MinGap: 500 * time.Millisecond, MeanWait: 1482 * time.Millisecond,
					MaxWait: 4560 * time.Millisecond, Grid: 3, Rank: 0, Slot: 20 * time.Millisecond},
			},
			{
				Name: "ntp", Address: "2001:db8:1::123", State: "withdrawn", Since: ms(-4000), Reason: "service withdrawn",
				Weight: 1, Holder: "02:00:00:00:00:12", Peers: []string{"02:00:00:00:00:12"}, Counting: true,
				Stats:  ndproxy.SchedulerStats{Solicits: 3, Ignored: 3},
				Timing: ndproxy.Timing{Weight: 1, MinGap: 500 * time.Millisecond, MeanWait: 991 * time.Millisecond, MaxWait: 2540 * time.Millisecond, Grid: 2, Slot: 20 * time.Millisecond},
			},
			{
				Name: "web", Address: "2001:db8:1::80", State: "idle", Since: ms(-12000),
				Reason: "service up; waiting for the router's solicitation, a query or a peer's NA", Metric: 10, Weight: 1,
				Peers: []string{}, Counting: false,
				Timing:    ndproxy.Timing{Weight: 1, MinGap: 500 * time.Millisecond, MeanWait: 991 * time.Millisecond, MaxWait: 2520 * time.Millisecond, Grid: 1, Slot: 20 * time.Millisecond},
				IdleCause: "no_solicitation", IdleReason: "no Neighbor Solicitation has reached eth0 at all: no client has sent a query to the address yet, or the router is not on this link",
			},
		},
	}
}

// BFDStatus is a BFD speaker with a session Up with the DR (fe80::1, 50
// ms x 3 both ways, one flap) and one coming up with the BDR.
func BFDStatus() bfd.Status {
	return bfd.Status{
		Interface: "eth0",
		Sessions: []bfd.SessionStatus{
			{
				Peer: "fe80::1", State: "Up", RemoteState: "Up", Since: Now.Add(-90 * time.Second),
				LocalDiscriminator: 0x1a2b3c4d, RemoteDiscriminator: 7,
				Diag: "none", RemoteDiag: "none", LastDownDiag: "detection-time-expired",
				DesiredMinTx: 50 * time.Millisecond, RequiredMinRx: 50 * time.Millisecond, Multiplier: 3,
				RemoteDesiredMinTx: 50 * time.Millisecond, RemoteRequiredMinRx: 50 * time.Millisecond, RemoteMultiplier: 3,
				TxInterval: 50 * time.Millisecond, RxInterval: 50 * time.Millisecond, DetectTime: 150 * time.Millisecond,
				Ups: 2, Downs: 1,
				Counters: bfd.Counters{PacketsIn: 2400, PacketsOut: 2390, Dropped: map[string]uint64{}},
			},
			{
				Peer: "fe80::2", State: "Down", RemoteState: "Down", Since: Now.Add(-2 * time.Second),
				LocalDiscriminator: 0x55aa55aa,
				Diag:               "none", RemoteDiag: "none",
				DesiredMinTx: time.Second, RequiredMinRx: 50 * time.Millisecond, Multiplier: 3,
				TxInterval: time.Second,
				Counters:   bfd.Counters{PacketsOut: 2, Dropped: map[string]uint64{}},
			},
		},
		Dropped:      map[string]uint64{"unknown-peer": 4},
		StateChanges: map[string]uint64{"Init": 1, "Up": 2, "Down": 1},
	}
}
