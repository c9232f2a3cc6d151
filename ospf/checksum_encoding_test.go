package ospf

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// zeroEncodedLSA returns an Intra-Area-Prefix-LSA of router adv whose
// Fletcher checksum has a 0xff byte, written as 0x00 (the same value mod
// 255, as some implementations write it), and its header.
func zeroEncodedLSA(t *testing.T, adv uint32) ([]byte, lsa.Header) {
	t.Helper()
	for m := uint16(1); m != 0; m++ {
		raw, err := lsa.Marshal(lsa.LSA{
			Header: lsa.Header{Type: lsa.TypeIntraAreaPrefix, ID: 7, AdvRouter: adv, Seq: lsa.InitialSequenceNumber},
			Body: &lsa.IntraAreaPrefix{RefType: lsa.TypeRouter, RefAdvRouter: adv,
				Prefixes: []lsa.Prefix{{Prefix: netip.MustParsePrefix("2001:db8:99::/64"), Metric: m}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case raw[16] == 0xff:
			raw[16] = 0
		case raw[17] == 0xff:
			raw[17] = 0
		default:
			continue
		}
		h, err := lsa.ParseHeader(raw)
		if err != nil {
			t.Fatal(err)
		}
		return raw, h
	}
	t.Fatal("no metric gives a checksum with a 0xff byte")
	return nil, lsa.Header{}
}

// Issue 11, finding 3: a router that holds an LSA whose checksum is
// written with 0x00 for 0xff (valid: the Fletcher sums are zero) offers it
// in the exchange; the server requests it and must accept and acknowledge
// it, or it stays in Loading, re-requesting the LSA for ever.
func TestZeroEncodedChecksumAccepted(t *testing.T) {
	s, r, ss := farm(t, 31, 1)
	srv := ss[0]
	raw, h := zeroEncodedLSA(t, ridOf("192.0.2.99"))
	t.Logf("LSA %s with checksum %#04x (canonical %#04x)", h.Key(), h.Checksum, lsa.Checksum(raw))
	// The router holds it before the exchange, as if flooded from elsewhere.
	r.e.db.install(raw, h, s.now, false)
	s.runUntil(30*time.Second, "the server Full with the router", allFull(r, ss))
	ent := srv.e.db.get(h.Key())
	if ent == nil {
		t.Fatalf("the server does not hold %s; drops %v", h.Key(), srv.e.cnt.dropped)
	}
	if got := binary.BigEndian.Uint16(ent.raw[16:18]); got != h.Checksum {
		t.Errorf("the server stored checksum %#04x, the router sent %#04x", got, h.Checksum)
	}
	if n := srv.e.cnt.dropped["lsa-checksum"]; n != 0 {
		t.Errorf("%d LSAs dropped for their checksum", n)
	}
	// Flooded later, the server acknowledges it like any other LSA.
	raw2, h2 := zeroEncodedLSA(t, ridOf("192.0.2.98"))
	r.e.db.install(raw2, h2, s.now, true)
	r.e.flood(s.now, h2, raw2, nil)
	r.e.sendFloodQ()
	s.run(5 * time.Second)
	if srv.e.db.get(h2.Key()) == nil {
		t.Fatalf("the flooded %s is not in the server's database; drops %v", h2.Key(), srv.e.cnt.dropped)
	}
	if _, pending := r.e.nbrs[srv.cfg.RouterID].rxmt[h2.Key()]; pending {
		t.Errorf("the router still waits for the server's acknowledgement of %s", h2.Key())
	}
}
