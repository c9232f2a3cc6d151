package ospf

import (
	"encoding/binary"

	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// RFC 2328 8.2: "Locally originated packets should not be passed on to
// OSPF": a packet whose source is our own link-local address is dropped,
// whatever router ID it carries. A hello of the router's, replayed from
// our own address, must not make us send to ourselves what is meant for
// the router.
func TestOwnSourceAddressDropped(t *testing.T) {
	s, r, ss := farm(t, 3, 1)
	srv := ss[0]
	var hello Datagram
	s.observe = func(from, to *simNode, d Datagram) {
		if p, _ := packet.ParsePacket(d.Data); from == r && to == srv && p != nil && p.Hdr().Type == packet.TypeHello {
			hello = d
		}
	}
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.observe = nil
	d := hello
	d.Src = srv.cfg.Link.LinkLocal
	dropped := sumCounts(srv.e.cnt.dropped)
	srv.e.handle(s.now, evPacket{d})
	if got := srv.e.nbrs[r.cfg.RouterID].addr; got != r.cfg.Link.LinkLocal {
		t.Errorf("a hello from our own address %s moved the router's address to %s", d.Src, got)
	}
	if sumCounts(srv.e.cnt.dropped) == dropped {
		t.Errorf("a hello from our own address %s was not counted as dropped (drops: %v)", d.Src, srv.e.cnt.dropped)
	}
}

func sumCounts(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// RFC 2328 12.1.6 and 13.4: a received instance of one of our own LSAs at
// MaxSequenceNumber is flushed and the LSA started over at
// InitialSequenceNumber. A second instance at MaxSequenceNumber (a larger
// checksum makes it newer) arriving while the first is being flushed must
// be flushed too and must not stop the start-over: the router ends up
// holding our service LSA with our metric.
func TestOwnLSAAtMaxSeqDuringWrap(t *testing.T) {
	s, r, ss := farm(t, 4, 1)
	srv := ss[0]
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(5 * time.Second)
	k := iapKey("192.0.2.11", 1)
	ent := srv.e.db.get(k)
	if ent == nil {
		t.Fatal("the server holds no service LSA")
	}
	// forged returns our service LSA at MaxSequenceNumber with metric m.
	forged := func(m uint16) []byte {
		b := append([]byte(nil), ent.raw...)
		binary.BigEndian.PutUint16(b[0:2], 1)
		binary.BigEndian.PutUint32(b[12:16], uint32(lsa.MaxSequenceNumber))
		l, err := lsa.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		l.Body.(*lsa.IntraAreaPrefix).Prefixes[0].Metric = m
		out, err := lsa.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		binary.BigEndian.PutUint16(out[0:2], 1)
		return out
	}
	send := func(raw []byte) {
		p := &packet.LinkStateUpdate{Header: packet.Header{RouterID: r.cfg.RouterID}, LSAs: [][]byte{raw}}
		b, err := packet.MarshalPacket(p)
		if err != nil {
			t.Fatal(err)
		}
		srv.e.handle(s.now, evPacket{Datagram{Src: r.cfg.Link.LinkLocal, Dst: srv.cfg.Link.LinkLocal, HopLimit: 1, Data: b}})
	}
	first := forged(10)
	send(first)
	s.run(500 * time.Millisecond)
	// A second forged instance that is newer than the first: same
	// sequence number, larger checksum (RFC 2328 13.1).
	var second []byte
	for m := uint16(100); ; m++ {
		second = forged(m)
		if binary.BigEndian.Uint16(second[16:18]) > binary.BigEndian.Uint16(first[16:18]) {
			break
		}
	}
	send(second)
	s.run(60 * time.Second)
	if m := s.advertisedMetric(r, "192.0.2.11", 1); m != 10 {
		t.Errorf("60 s after two forged instances at MaxSequenceNumber the router holds metric %d for our service, want 10", m)
	}
	if m := s.advertisedMetric(srv, "192.0.2.11", 1); m != 10 {
		_, l := srv.lsa(k)
		t.Errorf("60 s later our own database holds metric %d for our service (%v), want 10", m, l.Header)
	}
}
