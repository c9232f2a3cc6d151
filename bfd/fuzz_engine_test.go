package bfd

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// FuzzEngine feeds an engine whose session with a scripted peer is Up
// arbitrary datagrams at arbitrary times, from the peer or a stranger,
// with arbitrary hop limits. The engine must not panic, must never reach
// its state machine's catch-all (the test logger fails on Error), must
// send only packets that parse and never Poll with Final, and must keep
// its queue and indexes consistent.
func FuzzEngine(f *testing.F) {
	for _, c := range goldenCases {
		b, err := c.want.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{0, 10, 255, byte(len(b))}, b...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, _ := upWithPeer(t, Config{})
		e := s.nodes[addrA]
		ss := s.session(addrA, addrB)
		stranger := netip.MustParseAddr("fe80::c")
		// Records: flags, delay in ms, hop limit, length, payload. The
		// flag's bit 0 picks the stranger, bit 1 patches in the session's
		// discriminator, bit 2 removes and re-adds the peer.
		for len(in) >= 4 {
			flags, delay, hop, n := in[0], in[1], in[2], int(in[3])
			in = in[4:]
			n = min(n, len(in))
			data := append([]byte(nil), in[:n]...)
			in = in[n:]
			if flags&2 != 0 && len(data) >= 12 {
				binary.BigEndian.PutUint32(data[8:12], ss.localDiscr)
			}
			src := addrB
			if flags&1 != 0 {
				src = stranger
			}
			s.run(time.Duration(delay) * time.Millisecond)
			if flags&4 != 0 {
				e.setPeers(s.now, nil)
				e.setPeers(s.now, []netip.Addr{addrB})
				e.tick(s.now)
				if ss = e.sessions[addrB.WithZone(simIface)]; ss == nil {
					t.Fatal("session gone after re-adding the peer")
				}
			}
			s.inject(addrA, Datagram{Src: src, HopLimit: int(hop), Data: data})
		}
		s.run(2 * time.Second)
		checkWireT(t, s)
		if len(e.queue) != len(e.sessions) || len(e.order) != len(e.sessions) || len(e.byDiscr) != len(e.sessions) {
			t.Fatalf("queue %d, order %d, discriminators %d, sessions %d", len(e.queue), len(e.order), len(e.byDiscr), len(e.sessions))
		}
		for i, q := range e.queue {
			if q.index != i {
				t.Fatalf("queue[%d] has index %d", i, q.index)
			}
		}
	})
}
