package services

import (
	"context"
	"testing"
	"time"

	"github.com/anycostd/anycostd/config"
)

// TestPacingPerMode: one manager, an OSPF service paced at 1 s and an ND
// service at 100 ms. Both come up and both sockets go at once: withdrawals
// are not paced, both go at once. Then both sockets come back: each return
// waits for the pacing of its own mode only, so the ND service is back long
// before the OSPF one may be.
func TestPacingPerMode(t *testing.T) {
	const ospfPace, ndPace = time.Second, 100 * time.Millisecond
	dns := svc("dns", "2001:db8:53::53", 10)
	web := svc("web", "2001:db8:1::80", 10)
	web.Mode = config.ModeND
	for _, s := range []*config.Service{&dns, &web} {
		s.Socket = &config.SocketMonitor{Port: 53, Interval: 100 * time.Millisecond}
	}
	m, adv, in := startPaced(t, paced(ospfPace, ndPace), dns, web)

	ex, err := m.Explain(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, e := range ex {
		got[e.Service] = e.Settings.MinIntervalMS
	}
	if got["dns"] != ospfPace.Milliseconds() || got["web"] != ndPace.Milliseconds() {
		t.Fatalf("models paced at %v ms, want dns %d and web %d", got, ospfPace.Milliseconds(), ndPace.Milliseconds())
	}

	eventually(t, "inputs started", func() bool { in.mu.Lock(); defer in.mu.Unlock(); return len(in.outs) == 2 })
	in.send(t, socket("dns", true, 0))
	in.send(t, socket("web", true, 0))
	eventually(t, "both advertised", func() bool {
		l := adv.last()
		return !l["dns"].Withdraw && !l["web"].Withdraw
	})
	up := time.Now()
	in.send(t, socket("dns", false, 0))
	in.send(t, socket("web", false, 0))
	eventually(t, "both withdrawn", func() bool {
		l := adv.last()
		return l["dns"].Withdraw && l["web"].Withdraw
	})
	if took := time.Since(up); took >= ndPace {
		t.Errorf("withdrawals took %v after the sockets went: held by pacing?", took)
	}
	down := time.Now() // both withdrawals reported by now: pacing counts from before
	in.send(t, socket("dns", true, 0))
	in.send(t, socket("web", true, 0))
	eventually(t, "web back", func() bool { return !adv.last()["web"].Withdraw })
	webAfter := time.Since(down)
	dnsBack := !adv.last()["dns"].Withdraw
	eventually(t, "dns back", func() bool { return !adv.last()["dns"].Withdraw })
	dnsAfter := time.Since(down)
	t.Logf("back after the withdrawal: web (ND, paced %v) %v, dns (OSPF, paced %v) %v", ndPace, webAfter, ospfPace, dnsAfter)
	if dnsBack || webAfter >= ospfPace/2 {
		t.Errorf("the ND service waited for OSPF's pacing: back %v after its withdrawal (dns already back: %v)", webAfter, dnsBack)
	}
	// The OSPF service's return was held until min_ls_interval after its
	// withdrawal (reported before down, so allow the scheduling slack).
	if dnsAfter < ospfPace-200*time.Millisecond {
		t.Errorf("the OSPF service was back %v after its withdrawal, before its pacing %v", dnsAfter, ospfPace)
	}
}
