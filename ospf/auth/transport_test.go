package auth

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/auth/authfile"
	"github.com/anycostd/anycostd/ospf/packet"
)

var (
	addrA = netip.MustParseAddr("fe80::a")
	addrB = netip.MustParseAddr("fe80::b")
)

// recorder is a slog handler that keeps the records.
type recorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// lines returns "level message reason=..." for each record.
func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		s := rec.Level.String() + " " + rec.Message
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "reason" || a.Key == "suppressed" {
				s += " " + a.Key + "=" + a.Value.String()
			}
			return true
		})
		out = append(out, s)
	}
	return out
}

// end is one side of a test link: an authenticating Transport over a pipe.
type end struct {
	tr   *Transport
	pipe *pipe
	seq  *authfile.SeqStore
	log  *recorder
}

func newEnd(t *testing.T, p *pipe, kc *Keychain, clk *fakeClock) *end {
	t.Helper()
	seq, err := authfile.OpenSeqStore(filepath.Join(t.TempDir(), "auth-seq"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seq.Close() })
	rec := &recorder{}
	tr := NewTransport(p, p.src, kc, seq, slog.New(rec))
	tr.now = clk.Now
	return &end{tr: tr, pipe: p, seq: seq, log: rec}
}

// link builds two ends A and B sharing one keychain.
func link(t *testing.T, kc *Keychain) (a, b *end, clk *fakeClock) {
	clk = &fakeClock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	pa, pb := newPipes(addrA, addrB)
	return newEnd(t, pa, kc, clk), newEnd(t, pb, kc, clk), clk
}

var testKey = Key{ID: 1, Algorithm: HMACSHA256, Dialect: DialectFRR8, Secret: []byte("lab")}

// TestTransportRoundTrip: what A writes B reads back unchanged, trailer
// removed, from A's address; on the wire it carried a trailer.
func TestTransportRoundTrip(t *testing.T) {
	a, b, _ := link(t, mustKeychain(t, testKey))
	hello := helloPacket(t, 10, 20)
	in := bytes.Clone(hello)
	if err := a.tr.WriteDatagram(ospf.AllSPFRouters, in); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in, hello) {
		t.Error("WriteDatagram modified its input")
	}
	d, ok := readTimeout(t, b.tr)
	if !ok {
		t.Fatal("nothing read")
	}
	// The engine gets the packet as signed: checksum zero, AT bit set.
	want := bytes.Clone(hello)
	want[12], want[13] = 0, 0
	want[offHelloOpts+1] |= byte(lsa.OptAT >> 8)
	if diff := cmp.Diff(ospf.Datagram{Src: addrA, Dst: ospf.AllSPFRouters, HopLimit: 1, Data: want}, d, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
		t.Errorf("read (-want +got):\n%s", diff)
	}
	if cap(d.Data) != len(d.Data) {
		t.Error("the trailer is still reachable through the slice capacity")
	}
	wire := a.pipe.sent()
	if len(wire) != 1 || len(wire[0].Data) != len(hello)+testKey.Algorithm.TrailerLen() {
		t.Fatalf("wire: %d packets", len(wire))
	}
	if _, err := Verify(wire[0].Data, addrA, mustKeychain(t, testKey), time.Now()); err != nil {
		t.Errorf("the wire packet does not verify: %v", err)
	}
	if got := a.tr.Counters(); got[CountSigned] != 1 {
		t.Errorf("A counters %v", got)
	}
	if got := b.tr.Counters(); got[CountVerified] != 1 || len(got) != 1 {
		t.Errorf("B counters %v", got)
	}
	if a.tr.Overhead() != 48 {
		t.Errorf("Overhead %d", a.tr.Overhead())
	}
}

// TestTransportDrops feeds B packets that must not pass and checks each is
// dropped under its reason, and that a good packet still passes after them.
func TestTransportDrops(t *testing.T) {
	a, b, _ := link(t, mustKeychain(t, testKey))
	hello := helloPacket(t, 10)
	sign := func(k Key, seq uint64) []byte {
		out, err := Append(hello, addrA, k, seq)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	wrongSecret := testKey
	wrongSecret.Secret = []byte("other")
	wrongID := testKey
	wrongID.ID = 2
	wrongAlg := testKey
	wrongAlg.Algorithm = HMACSHA1
	flipped := sign(testKey, 1<<32|5)
	flipped[20] ^= 0x80
	tests := []struct {
		name   string
		src    netip.Addr
		data   []byte
		reason string
	}{
		{"no trailer", addrA, hello, CountNoTrailer},
		{"wrong secret", addrA, sign(wrongSecret, 1<<32|1), CountBadHMAC},
		{"wrong key id", addrA, sign(wrongID, 1<<32|2), CountBadKeyID},
		{"wrong algorithm", addrA, sign(wrongAlg, 1<<32|3), CountBadHMAC},
		{"other source", addrB, sign(testKey, 1<<32|4), CountBadHMAC},
		{"bit flipped", addrA, flipped, CountBadHMAC},
		{"garbage", addrA, []byte{3, 1, 0}, CountMalformed},
		{"auth type 2", addrA, func() []byte { b := sign(testKey, 1<<32|6); b[len(hello)+1] = 2; return b }(), CountMalformed},
	}
	want := map[string]uint64{}
	for _, tc := range tests {
		b.pipe.inject(ospf.Datagram{Src: tc.src, Dst: ospf.AllSPFRouters, HopLimit: 1, Data: tc.data})
		want[tc.reason]++
	}
	if err := a.tr.WriteDatagram(ospf.AllSPFRouters, hello); err != nil {
		t.Fatal(err)
	}
	d, ok := readTimeout(t, b.tr)
	if !ok || d.Src != addrA || len(d.Data) != len(hello) {
		t.Fatalf("the good packet after the bad ones: %v %+v", ok, d)
	}
	want[CountVerified] = 1
	if diff := cmp.Diff(want, b.tr.Counters()); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
	// Logged once per reason (rate limit: all within the same instant).
	lines := b.log.lines()
	if len(lines) != len(want)-1 {
		t.Errorf("log lines:\n%s", strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "WARN dropped OSPF packet: authentication failed reason=") {
			t.Errorf("log line %q", l)
		}
	}
}

// TestTransportReplay: a packet captured on the wire and injected again is
// dropped; so is an older one; the neighbor's next packet passes.
func TestTransportReplay(t *testing.T) {
	a, b, _ := link(t, mustKeychain(t, testKey))
	send := func(p []byte) ospf.Datagram {
		t.Helper()
		if err := a.tr.WriteDatagram(addrB, p); err != nil {
			t.Fatal(err)
		}
		if _, ok := readTimeout(t, b.tr); !ok {
			t.Fatal("not delivered")
		}
		w := a.pipe.sent()
		return w[len(w)-1]
	}
	hello := helloPacket(t, 10)
	first := send(hello)
	second := send(hello)
	b.pipe.inject(second) // the same packet again
	b.pipe.inject(first)  // an older one
	third := send(hello)
	if !bytes.Equal(third.Data[:len(hello)], second.Data[:len(hello)]) {
		t.Error("hellos differ")
	}
	got := b.tr.Counters()
	if got[CountReplay] != 2 || got[CountVerified] != 3 {
		t.Errorf("counters %v, want 2 replays, 3 verified", got)
	}
}

// TestReplayPerType: sequence numbers are compared per packet type, so a
// Hello sent ahead of an older LSAck does not get the LSAck dropped; equal
// numbers are dropped.
func TestReplayPerType(t *testing.T) {
	g := newReplayGuard()
	now := time.Now()
	s := sender{addrA, 10}
	steps := []struct {
		typ  packet.Type
		seq  uint64
		pass bool
	}{
		{packet.TypeHello, 10, true},
		{packet.TypeLinkStateAck, 8, true}, // overtaken by the Hello: still fine
		{packet.TypeLinkStateAck, 8, false},
		{packet.TypeLinkStateAck, 7, false},
		{packet.TypeHello, 10, false},
		{packet.TypeHello, 11, true},
		{packet.TypeDatabaseDescription, 1, true},
	}
	for i, st := range steps {
		err := g.accept(s, st.typ, st.seq, now)
		if (err == nil) != st.pass {
			t.Errorf("step %d (%v seq %d): %v, want pass=%v", i, st.typ, st.seq, err, st.pass)
		}
	}
	// Another router ID or address is another sender.
	if err := g.accept(sender{addrA, 11}, packet.TypeHello, 1, now); err != nil {
		t.Error(err)
	}
	if err := g.accept(sender{addrB, 10}, packet.TypeHello, 1, now); err != nil {
		t.Error(err)
	}
	// The zone does not make another sender.
	if err := g.accept(sender{addrA.WithZone("eth0"), 10}, packet.TypeHello, 11, now); err == nil {
		t.Error("a zone made a new sender")
	}
	if err := g.accept(s, 0, 99, now); err == nil {
		t.Error("type 0 accepted")
	}
}

// TestReplayExpiry: a sender silent for the expiry starts over (a router
// that lost its state after a reboot), one that keeps talking does not, even
// for packet types it sends rarely; Forget starts over at once.
func TestReplayExpiry(t *testing.T) {
	g := newReplayGuard()
	g.expiry = 4 * time.Second
	t0 := time.Now()
	s := sender{addrA, 10}
	mustPass := func(typ packet.Type, seq uint64, at time.Duration) {
		t.Helper()
		if err := g.accept(s, typ, seq, t0.Add(at)); err != nil {
			t.Fatalf("%v %d at %v: %v", typ, seq, at, err)
		}
	}
	mustPass(packet.TypeDatabaseDescription, 100, 0)
	for i := range 10 {
		mustPass(packet.TypeHello, uint64(101+i), time.Duration(i)*time.Second)
	}
	// The DBD state survives 10 s of Hellos: an old DBD is still a replay.
	if err := g.accept(s, packet.TypeDatabaseDescription, 100, t0.Add(10*time.Second)); err == nil {
		t.Error("old DBD accepted while the sender kept talking")
	}
	// Silent for the expiry: low numbers pass again.
	mustPass(packet.TypeHello, 1, 9*time.Second+4*time.Second)
	g.forget(addrA.WithZone("eth0"), 10)
	mustPass(packet.TypeHello, 1, 13*time.Second)
}

// TestReplayTableBounded: the table never grows beyond maxSenders.
func TestReplayTableBounded(t *testing.T) {
	g := newReplayGuard()
	t0 := time.Now()
	for i := range maxSenders + 50 {
		if err := g.accept(sender{addrA, uint32(i + 1)}, packet.TypeHello, 1, t0.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if len(g.m) > maxSenders {
		t.Errorf("%d senders kept", len(g.m))
	}
	if _, ok := g.m[sender{addrA, maxSenders + 50}]; !ok {
		t.Error("the newest sender was evicted")
	}
	if _, ok := g.m[sender{addrA, 1}]; ok {
		t.Error("the oldest sender was kept")
	}
}

// TestTransportRollover changes keys on both ends during a conversation:
// A moves to key 2 while B still sends with key 1; both keep passing
// during the overlap, and key 1 is refused once its accept window closed.
func TestTransportRollover(t *testing.T) {
	T := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	k1 := Key{ID: 1, Algorithm: HMACSHA256, Secret: []byte("old"), SendUntil: T.Add(time.Minute), AcceptUntil: T.Add(10 * time.Minute)}
	k2 := Key{ID: 2, Algorithm: HMACSHA512, Secret: []byte("new"), AcceptFrom: T.Add(-10 * time.Minute)}
	k2a := k2
	k2a.SendFrom = T // A switches at T
	k1b := k1
	k1b.SendUntil = T.Add(5 * time.Minute) // B switches at T+5m
	k2b := k2
	k2b.SendFrom = T.Add(5 * time.Minute)
	clk := &fakeClock{t: T.Add(-time.Minute)}
	pa, pb := newPipes(addrA, addrB)
	a := newEnd(t, pa, mustKeychain(t, k1, k2a), clk)
	b := newEnd(t, pb, mustKeychain(t, k1b, k2b), clk)
	hello := helloPacket(t, 10)
	exchange := func(when string, wantA, wantB uint16) {
		t.Helper()
		for _, dir := range []struct {
			from, to *end
			key      uint16
		}{{a, b, wantA}, {b, a, wantB}} {
			if err := dir.from.tr.WriteDatagram(ospf.AllSPFRouters, hello); err != nil {
				t.Fatal(err)
			}
			w := dir.from.pipe.sent()
			if id := binary.BigEndian.Uint16(w[len(w)-1].Data[len(hello)+6:]); id != dir.key {
				t.Errorf("%s: sent with key %d, want %d", when, id, dir.key)
			}
			if _, ok := readTimeout(t, dir.to.tr); !ok {
				t.Fatalf("%s: not delivered: %v", when, dir.to.tr.Counters())
			}
		}
	}
	exchange("before", 1, 1)
	clk.Advance(time.Minute) // T
	exchange("A switched", 2, 1)
	clk.Advance(5 * time.Minute) // T+5m
	exchange("both switched", 2, 2)
	clk.Advance(5 * time.Minute) // T+10m: key 1 no longer accepted
	old, err := Append(hello, addrA, k1, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	pb.inject(ospf.Datagram{Src: addrA, Data: old})
	exchange("after", 2, 2)
	if got := b.tr.Counters()[CountBadKeyID]; got != 1 {
		t.Errorf("key 1 after its window: bad-key-id %d, want 1", got)
	}
}

// TestTransportSendErrors: no key yet, or no sequence number: nothing is
// sent, the error says why and is counted; an expired last key keeps
// working with a warning.
func TestTransportSendErrors(t *testing.T) {
	T := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	future := Key{ID: 1, Algorithm: HMACSHA1, Secret: []byte("k"), SendFrom: T.Add(time.Hour), SendUntil: T.Add(2 * time.Hour)}
	clk := &fakeClock{t: T}
	pa, _ := newPipes(addrA, addrB)
	a := newEnd(t, pa, mustKeychain(t, future), clk)
	hello := helloPacket(t, 10)
	if err := a.tr.WriteDatagram(ospf.AllSPFRouters, hello); err == nil || !strings.Contains(err.Error(), "no key") {
		t.Errorf("before the send window: %v", err)
	}
	if err := a.tr.WriteDatagram(ospf.AllSPFRouters, []byte{3}); err == nil {
		t.Error("a garbage packet was sent")
	}
	clk.Advance(3 * time.Hour)
	if err := a.tr.WriteDatagram(ospf.AllSPFRouters, hello); err != nil {
		t.Errorf("after the last window ended: %v", err)
	}
	a.seq.Close()
	if err := a.tr.WriteDatagram(ospf.AllSPFRouters, hello); err == nil {
		t.Error("sent without a sequence number")
	}
	if got := a.tr.Counters(); got[CountSendError] != 3 || got[CountSigned] != 1 || len(pa.sent()) != 1 {
		t.Errorf("counters %v, %d sent", got, len(pa.sent()))
	}
	lines := strings.Join(a.log.lines(), "\n")
	if !strings.Contains(lines, "ERROR cannot sign OSPF packet") || !strings.Contains(lines, "WARN the send window of the last key has ended") {
		t.Errorf("log:\n%s", lines)
	}
}

// TestTransportLogRateLimit: a flood of bad packets logs one line per 10 s
// per reason, the next one saying how many were left out.
func TestTransportLogRateLimit(t *testing.T) {
	_, b, clk := link(t, mustKeychain(t, testKey))
	hello := helloPacket(t, 10)
	good := helloPacket(t, 10)
	for range 5 {
		b.pipe.inject(ospf.Datagram{Src: addrA, Data: hello})
	}
	out, _ := Append(good, addrA, testKey, 1<<32|1)
	b.pipe.inject(ospf.Datagram{Src: addrA, Data: out})
	readTimeout(t, b.tr)
	clk.Advance(11 * time.Second)
	b.pipe.inject(ospf.Datagram{Src: addrA, Data: hello})
	out, _ = Append(good, addrA, testKey, 1<<32|2)
	b.pipe.inject(ospf.Datagram{Src: addrA, Data: out})
	readTimeout(t, b.tr)
	want := []string{
		"WARN dropped OSPF packet: authentication failed reason=no-trailer",
		"WARN dropped OSPF packet: authentication failed reason=no-trailer suppressed=4",
	}
	if diff := cmp.Diff(want, b.log.lines()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if got := b.tr.Counters()[CountNoTrailer]; got != 6 {
		t.Errorf("no-trailer %d", got)
	}
}

// TestTransportClose closes the inner transport, which ends ReadDatagram.
func TestTransportClose(t *testing.T) {
	a, _, _ := link(t, mustKeychain(t, testKey))
	done := make(chan error, 1)
	go func() { _, err := a.tr.ReadDatagram(); done <- err }()
	if err := a.tr.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("ReadDatagram returned no error after Close")
		}
	case <-time.After(time.Second):
		t.Fatal("ReadDatagram still blocked after Close")
	}
}
