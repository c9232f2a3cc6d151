package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/control/controltest"
	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
)

// fakeBFD implements bfdSpeaker: it records what it is asked, reports a
// session Up for each peer, and delivers the events a test sends.
type fakeBFD struct {
	rec    *recorder
	events chan bfd.Event
	stop   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	peers  []netip.Addr
}

func newFakeBFD(rec *recorder) *fakeBFD {
	return &fakeBFD{rec: rec, events: make(chan bfd.Event), stop: make(chan struct{})}
}

func (f *fakeBFD) factory() newBFDFunc {
	return func(cfg bfd.Config, link netif.Link, log *slog.Logger) (bfdSpeaker, io.Closer, error) {
		f.rec.add("bfd new if=%s ll=%s tx=%v rx=%v mult=%d", cfg.Interface, link.LinkLocal, cfg.DesiredMinTx, cfg.RequiredMinRx, cfg.Multiplier)
		return f, closerFunc(func() error { f.rec.add("bfd socket closed"); return nil }), nil
	}
}

type closerFunc func() error

func (c closerFunc) Close() error { return c() }

// Run returns once Shutdown is called (the sessions said AdminDown) or
// ctx is done; it closes Events, as the speaker does.
func (f *fakeBFD) Run(ctx context.Context) error {
	defer close(f.events)
	f.rec.add("bfd run")
	select {
	case <-ctx.Done():
		f.rec.add("bfd cut short")
		return ctx.Err()
	case <-f.stop:
		f.rec.add("bfd done")
		return nil
	}
}

func (f *fakeBFD) SetPeers(peers []netip.Addr) error {
	f.mu.Lock()
	f.peers = slices.Clone(peers)
	f.mu.Unlock()
	s := make([]string, len(peers))
	for i, p := range peers {
		s[i] = p.String()
	}
	f.rec.add("bfd peers %s", strings.Join(s, " "))
	return nil
}

func (f *fakeBFD) Shutdown() error {
	f.rec.add("bfd shutdown")
	f.once.Do(func() { close(f.stop) })
	return nil
}

func (f *fakeBFD) Events() <-chan bfd.Event { return f.events }

func (f *fakeBFD) Status(ctx context.Context) (bfd.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := bfd.Status{Interface: "eth0", StateChanges: map[string]uint64{"Up": uint64(len(f.peers))}}
	for _, p := range f.peers {
		st.Sessions = append(st.Sessions, bfd.SessionStatus{Peer: p.String(), State: "Up", RemoteState: "Up"})
	}
	return st, nil
}

func TestBFDPeers(t *testing.T) {
	st := controltest.OSPFStatus()
	want := []netip.Addr{netip.MustParseAddr("fe80::1"), netip.MustParseAddr("fe80::2")}
	if got := bfdPeers(&st); !slices.Equal(got, want) {
		t.Errorf("DR and BDR: %v, want %v", got, want)
	}
	st.Interface.BDR = "0.0.0.0"
	if got := bfdPeers(&st); !slices.Equal(got, want[:1]) {
		t.Errorf("DR alone: %v, want %v", got, want[:1])
	}
	st.Neighbors[0].Address = "2001:db8::1" // not link-local: no session
	if got := bfdPeers(&st); len(got) != 0 {
		t.Errorf("DR with a global address: %v, want none", got)
	}
	st.Interface.DR = "0.0.0.0"
	if got := bfdPeers(&st); len(got) != 0 {
		t.Errorf("no DR, no BDR: %v, want none", got)
	}
}

// TestDaemonBFD: with [ospf.bfd] the daemon runs a session with the DR and
// the BDR and follows them; a session failure takes that OSPF neighbor
// down, a peer's AdminDown does not; status and neighbors show the
// sessions; a SIGTERM flushes the LSAs first, then the sessions say
// AdminDown, then the addresses go.
func TestDaemonBFD(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "[ospf.bfd]\ninterval = \"50ms\"\n", svcDNS)
	var fb *fakeBFD
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		fb = newFakeBFD(td.rec)
		td.newBFD = fb.factory()
		td.sp.desig = make(chan struct{}, 1)
	})
	rec := td.rec
	rec.waitFor(t, "bfd new if=eth0 ll=fe80::11 tx=50ms rx=50ms mult=3")
	rec.waitFor(t, "bfd peers fe80::1 fe80::2")

	// The BDR goes: its session goes with it.
	st := controltest.OSPFStatus()
	st.Interface.BDR = "0.0.0.0"
	td.sp.setStatus(st)
	td.sp.desig <- struct{}{}
	rec.waitFor(t, "bfd peers fe80::1")

	// The router says AdminDown (no failure, RFC 5882 3.2), then a session
	// fails by detection time.
	dr := netip.MustParseAddr("fe80::1").WithZone("eth0")
	fb.events <- bfd.Event{Peer: dr, From: bfd.StateUp, To: bfd.StateDown, Diag: bfd.DiagNeighborDown, RemoteState: bfd.StateAdminDown, RemoteDiag: bfd.DiagAdminDown}
	fb.events <- bfd.Event{Peer: dr, From: bfd.StateUp, To: bfd.StateDown, Diag: bfd.DiagTimeExpired, RemoteState: bfd.StateUp}
	rec.waitFor(t, "neighbor down fe80::1%eth0: bfd session down: detection-time-expired")
	if n := len(slices.DeleteFunc(rec.list(), func(e string) bool { return !strings.HasPrefix(e, "neighbor down") })); n != 1 {
		t.Errorf("%d neighbors taken down, want 1 (the peer's AdminDown is no failure): %q", n, rec.list())
	}

	// status and neighbors show the sessions.
	cl := client(cfgPath)
	res, err := cl.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.BFD == nil || len(res.BFD.Sessions) != 1 || res.BFD.Sessions[0].Peer != "fe80::1" {
		t.Errorf("status BFD: %+v", res.BFD)
	}
	nb, err := cl.Neighbors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if nb.BFD == nil || len(nb.BFD.Sessions) != 1 {
		t.Errorf("neighbors BFD: %+v", nb.BFD)
	}

	// SIGTERM: flush, then AdminDown, then the addresses go.
	td.sigs <- syscall.SIGTERM
	if err := td.wait(); err != nil {
		t.Fatalf("daemon: %v\n%s", err, td.log)
	}
	flush, adminDown, done, del := rec.index("shutdown"), rec.index("bfd shutdown"), rec.index("bfd done"), rec.index("del lo 2001:db8:53::53/128")
	if flush < 0 || adminDown < flush || done < adminDown || del < done {
		t.Errorf("stop order: flush %d, bfd shutdown %d, bfd done %d, address removed %d; want them in that order: %q",
			flush, adminDown, done, del, rec.list())
	}
	if rec.index("bfd cut short") >= 0 {
		t.Errorf("the BFD speaker was cut short: %q", rec.list())
	}
}

// TestDaemonBFDOff: without [ospf.bfd] no speaker is opened and status
// has no BFD.
func TestDaemonBFDOff(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.newBFD = newFakeBFD(td.rec).factory()
	})
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	res, err := client(cfgPath).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.BFD != nil || td.rec.index("bfd run") >= 0 {
		t.Errorf("BFD without [ospf.bfd]: status %+v, events %q", res.BFD, td.rec.list())
	}
}

// TestBFDGlueShutdownFails: when the speaker refuses the Shutdown, stop
// cancels it rather than wait for an AdminDown that never ends.
func TestBFDGlueShutdownFails(t *testing.T) {
	rec := newRecorder()
	fb := &failingBFD{fakeBFD: newFakeBFD(rec)}
	sp := &fakeSpeaker{rec: rec, status: controltest.OSPFStatus()}
	g := newBFDGlue(fb, sp, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- g.run(ctx) }()
	rec.waitFor(t, "bfd peers fe80::1 fe80::2")
	g.stop(cancel)
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return")
	}
	rec.waitFor(t, "bfd cut short")
}

// failingBFD's Shutdown fails, as a stopped speaker's does.
type failingBFD struct{ *fakeBFD }

func (f *failingBFD) Shutdown() error { return errors.New("bfd: speaker stopped") }

var _ ospfNeighbors = (*ospf.Instance)(nil)
