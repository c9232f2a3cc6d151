package services

import (
	"context"
	"testing"
	"time"

	"github.com/anycostd/anycostd/config"
)

// TestPacingPerMode: one manager, an OSPF service paced at 1 s and an ND
// service at 100 ms. Both come up, then both sockets go at once: each
// withdrawal waits for the pacing of its own mode only, so the ND service
// is withdrawn long before the OSPF one may be.
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
	up := time.Now() // both changes reported by now: pacing counts from here
	in.send(t, socket("dns", false, 0))
	in.send(t, socket("web", false, 0))
	eventually(t, "web withdrawn", func() bool { return adv.last()["web"].Withdraw })
	webAfter := time.Since(up)
	dnsWithdrawn := adv.last()["dns"].Withdraw
	eventually(t, "dns withdrawn", func() bool { return adv.last()["dns"].Withdraw })
	dnsAfter := time.Since(up)
	t.Logf("withdrawn after coming up: web (ND, paced %v) %v, dns (OSPF, paced %v) %v", ndPace, webAfter, ospfPace, dnsAfter)
	if dnsWithdrawn || webAfter >= ospfPace/2 {
		t.Errorf("the ND service waited for OSPF's pacing: withdrawn %v after its change (dns already withdrawn: %v)", webAfter, dnsWithdrawn)
	}
	// The OSPF service's withdrawal was held until min_ls_interval after
	// its change (the change came before up, so allow the scheduling
	// slack of the test below it).
	if dnsAfter < ospfPace-200*time.Millisecond {
		t.Errorf("the OSPF service was withdrawn %v after its change, before its pacing %v", dnsAfter, ospfPace)
	}
}
