package ospf

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/anycostd/anycostd/internal/testvec"
	"github.com/anycostd/anycostd/lsa"
)

// FuzzEngineReceive hands one arbitrary packet, from the router's address,
// to a server engine that is Full with the router: the engine must not
// panic, must be Full with the router again within a minute (a forged DBD
// may rightly reset the adjacency) and the router must then hold the
// server's service LSA with its metric. Seeds: every captured and golden
// packet of testdata (the FRR captures come from router ID 192.0.2.1, the
// simulated router's).
func FuzzEngineReceive(f *testing.F) {
	for _, dir := range []string{"frr", "packet"} {
		files, err := filepath.Glob(filepath.Join("..", "testdata", dir, "*.hex"))
		if err != nil || len(files) == 0 {
			f.Fatalf("seeds in testdata/%s: %d files (%v)", dir, len(files), err)
		}
		for _, file := range files {
			b, err := testvec.Load(file)
			if err != nil {
				f.Fatalf("seed %s: %v", file, err)
			}
			f.Add(b, false)
			f.Add(b, true)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, multicast bool) {
		s, r, ss := farm(t, 8, 1)
		srv := ss[0]
		s.runUntil(30*time.Second, "Full", allFull(r, ss))
		s.run(2 * time.Second)
		dst := srv.cfg.Link.LinkLocal
		if multicast {
			dst = AllSPFRouters
		}
		srv.e.handle(s.now, evPacket{Datagram{Src: r.cfg.Link.LinkLocal, Dst: dst, HopLimit: 1, Data: data}})
		s.runUntil(60*time.Second, "Full again after the packet", allFull(r, ss))
		s.run(15 * time.Second)
		if m := s.advertisedMetric(r, lsa.IDString(srv.cfg.RouterID), 1); m != 10 {
			t.Fatalf("after the packet the router holds metric %d for the server's service, want 10 (drops %v)", m, srv.e.cnt.dropped)
		}
	})
}
