package lab

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// advertRe matches the daemon's log line for each change of a service's
// advertisement.
var advertRe = regexp.MustCompile(`msg="service advertisement" service=dns from=("[^"]*"|\S+) to=("[^"]*"|\S+)`)

// advertChanges counts the advertisement changes in a daemon's log.
func advertChanges(t *testing.T, p *Proc) int {
	t.Helper()
	b, err := os.ReadFile(p.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	return len(advertRe.FindAll(b, -1))
}

// starvedCPU is the starved NSD's share of one core, in percent: 1 ms of
// CPU every 400 ms. At 1% (1 ms every 100 ms) NSD 4.6 answered 1000 to
// 3600 queries a second alone, depending on the machine and the day, and
// sometimes did not lose a fifth even at 4500 qps (a CI-style run,
// 2026-12-06): the test could not starve it.
const starvedCPU = 0.25

// Issue 3, lab 4: one server's NSD is starved of CPU while dnsperf offers
// the farm more than that server can answer. With static equal metrics it
// drops its share; with the cost model it moves to a higher tier, the
// others take its traffic, and it changes tier only a handful of times.
// Both run side by side on the same lab.
func TestOverloadShiftsTraffic(t *testing.T) {
	d := NewDNSFarm(t, 3, nil)
	s1 := d.Servers[0]
	if err := d.Lab.LimitCPU("nsd-s1", starvedCPU, d.NSD[0].Pids()...); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The starved server alone at its equal share of the offered load
	// must lose queries: that is the overload the farm has to absorb.
	// How much it answers varies with the machine, so raise the share
	// until it loses at least a fifth.
	var share int
	for _, q := range []int{2000, 3000, 4500} {
		c1, err := d.Client.DNSPerf(ctx, PerfOptions{Server: mustAddr("2001:db8:1::100"), Duration: 3 * time.Second, QPS: q,
			Queries: []string{"whoami.example.org TXT"}, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("starved server alone at %d qps: completed %d of %d", q, c1.Completed, c1.Sent)
		time.Sleep(2 * time.Second) // let its queue drain
		if c1.Lost*5 >= c1.Sent {
			share = q
			break
		}
	}
	if share == 0 {
		t.Fatal("could not overload the starved server at up to 4500 qps")
	}
	offered := 3 * share
	t.Logf("offering the farm %d qps", offered)

	run := func(name string, svc string) (PerfResult, int) {
		for _, s := range d.Servers {
			s.WriteConfig(s.TOML(svc))
			s.Start()
		}
		fibIs(t, d.Farm, Anycast, 40*time.Second, name+": 3-way ECMP", LinkLocals(d.Servers...))
		before := advertChanges(t, s1.Proc)
		r, err := d.Client.DNSPerf(ctx, PerfOptions{Server: Anycast.Addr(), Duration: 60 * time.Second, QPS: offered, Clients: 60, Timeout: time.Second})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		changes := advertChanges(t, s1.Proc) - before
		for _, s := range d.Servers {
			s.Signal(syscall.SIGTERM)
			s.Proc.WaitTimeout(15 * time.Second)
		}
		t.Logf("%s: sent %d, completed %d (%.1f%%), lost %d; s1 changed its advertisement %d times in 60 s",
			name, r.Sent, r.Completed, 100*float64(r.Completed)/float64(r.Sent), r.Lost, changes)
		return r, changes
	}
	static, _ := run("static equal metrics", fmt.Sprintf("[[service]]\nname = \"dns\"\nprefix = %q\nmetric = 10\ndrain_time = \"1s\"\n", Anycast))
	tiered, changes := run("cost model (socket monitor, three tiers)", fmt.Sprintf(`[[service]]
name = "dns"
prefix = %q
metric = 10
drain_time = "1s"

[service.socket]
port = 53
interval = "100ms"
%s`, Anycast, TiersTOML))
	if changes == 0 {
		t.Error("the starved server never changed tier")
	}
	if changes > 10 {
		t.Errorf("the starved server changed its advertisement %d times in 60 s: flapping", changes)
	}
	if !(float64(tiered.Completed)/float64(tiered.Sent) > float64(static.Completed)/float64(static.Sent)) {
		t.Errorf("the cost model answered %d of %d, static metrics %d of %d: no better", tiered.Completed, tiered.Sent, static.Completed, static.Sent)
	}
}
