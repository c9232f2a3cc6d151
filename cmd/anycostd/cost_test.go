package main

import (
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/control/controltest"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/daemon"
	"github.com/anycostd/anycostd/internal/render"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

const costConfig = "../../testdata/cost.toml"

// costParams are the parameters the daemon builds for a service of
// testdata/cost.toml.
func costParams(t *testing.T, name string) costmodel.Params {
	t.Helper()
	cfg, err := config.Load(costConfig)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Service(name)
	if s == nil {
		t.Fatalf("no service %s in %s", name, costConfig)
	}
	p, err := daemon.ModelParams(cfg, *s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ms is controltest.Now plus n milliseconds.
func ms(n int) time.Time { return controltest.Now.Add(time.Duration(n) * time.Millisecond) }

// sampleCost runs the services of testdata/cost.toml through their cost
// models, as the daemon would, and returns what `anycostd cost` shows at
// the end, 5.6 s after controltest.Now:
//   - dns: socket, probe and external inputs; a manual drain at 1 s,
//     lifted at 1.6 s; the receive queue fills from 3 s (0.7: tier 1) and
//     again from 5 s (0.95): the move to tier 2 is held by the dwell time.
//   - ntp: no monitors, static metric 100; drained at 4.8 s, undrained at
//     5.3 s: advertising it again is held by pacing.
//   - web: a probe whose checks slow down, then fail from 5 s: withdrawn.
func sampleCost(t *testing.T) []render.CostView {
	t.Helper()
	end := ms(5600)
	var dns []costmodel.Sample
	for n := 0; n <= 5600; n += 100 {
		rq := 0.2
		switch {
		case n >= 5000:
			rq = 0.95
		case n >= 3000:
			rq = 0.7
		}
		dns = append(dns, costmodel.SocketSample(rq, uint64(n/1000%2)).WithSource("sock_diag poll").WithTime(ms(n)))
		if n%200 == 0 {
			dns = append(dns, costmodel.ProbeResult(true, 8*time.Millisecond).WithSource("probe").WithTime(ms(n)))
		}
		if n%1000 == 0 {
			dns = append(dns, costmodel.ExternalLoad(0.25).WithSource("external").WithTime(ms(n)))
		}
		switch n {
		case 1000:
			dns = append(dns, costmodel.ManualDrain(true).WithSource("control socket").WithTime(ms(n)))
		case 1600:
			dns = append(dns, costmodel.ManualDrain(false).WithSource("control socket").WithTime(ms(n)))
		}
	}
	ntp := []costmodel.Sample{
		costmodel.ManualDrain(false).WithSource("control socket").WithTime(ms(0)),
		costmodel.ManualDrain(true).WithSource("control socket").WithTime(ms(4800)),
		costmodel.ManualDrain(false).WithSource("control socket").WithTime(ms(5300)),
	}
	var web []costmodel.Sample
	for n := 0; n <= 5600; n += 200 {
		web = append(web, costmodel.ProbeResult(n < 5000, time.Duration(20+n/100)*time.Millisecond).WithSource("probe").WithTime(ms(n)))
	}

	var list []costmodel.Explanation
	for _, s := range []struct {
		name    string
		samples []costmodel.Sample
	}{{"dns", dns}, {"ntp", ntp}, {"web", web}} {
		res, err := costmodel.WhatIf(s.name, costParams(t, s.name), s.samples, end)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, res.Explanation)
	}
	return joinCost(list, costStatus(list[0].Advertised.Metric))
}

// costStatus is the status of the daemon sampleCost shows: dns
// advertised with metric dnsMetric, ntp and web withdrawn.
func costStatus(dnsMetric uint16) *control.Status {
	st := &control.Status{OSPF: &ospf.Status{}}
	for _, s := range []struct {
		name, prefix, lsid, seq string
		metric                  uint16
	}{
		{"dns", "2001:db8:53::53/128", "0.0.0.1", "80000006", dnsMetric},
		{"ntp", "2001:db8:123::123/128", "0.0.0.2", "80000003", 0},
		{"web", "2001:db8:80::80/128", "0.0.0.3", "80000004", 0},
	} {
		on := s.metric > 0
		st.Services = append(st.Services, services.Wire{Name: s.name, Prefix: netip.MustParsePrefix(s.prefix), Mode: config.ModeOSPF,
			Advertised: on, Metric: s.metric, Wanted: on, WantMetric: s.metric})
		st.OSPF.Services = append(st.OSPF.Services, ospf.ServiceStatus{Name: s.name, Prefix: s.prefix,
			Advertised: on, Metric: s.metric, Wanted: on, WantMetric: s.metric, LSID: s.lsid, Seq: s.seq})
	}
	return st
}

func TestCostRenderGolden(t *testing.T) {
	views := sampleCost(t)
	// The scenario shows what it claims to.
	dns, ntp, web := &views[0].Explanation, &views[1].Explanation, &views[2].Explanation
	if dns.Tier != 1 || dns.TierNext != 1 || dns.TierHeldUntil.IsZero() || dns.Advertised.Metric != 20 || dns.Changes != 4 {
		t.Errorf("dns: tier %d, next %d held until %v, advertised %v after %d changes; want tier 1 held by dwell, metric 20",
			dns.Tier, dns.TierNext, dns.TierHeldUntil, dns.Advertised, dns.Changes)
	}
	if !ntp.Advertised.Withdrawn || ntp.Wanted.Withdrawn || !ntp.Held || ntp.NextChangeAllowed != ms(5900) {
		t.Errorf("ntp: %v, wanted %v, held %v until %v; want metric 100 held by pacing", ntp.Advertised, ntp.Wanted, ntp.Held, ntp.NextChangeAllowed)
	}
	if !web.Advertised.Withdrawn || web.Health.Up || web.Tier != 1 {
		t.Errorf("web: %v, health %+v, tier %d; want withdrawn for the failing probe, in tier 1", web.Advertised, web.Health, web.Tier)
	}
	var b strings.Builder
	render.Cost(&b, views, render.Clock{Loc: time.UTC})
	golden(t, "cost.golden", b.String())

	b.Reset()
	render.Cost(&b, nil, render.Clock{Loc: time.UTC})
	if b.String() != "No services.\n" {
		t.Errorf("no services: %q", b.String())
	}
}

// costServer serves the sample cost views and their status.
func costServer(t *testing.T) (path string, b *controltest.Backend, views []render.CostView) {
	t.Helper()
	views = sampleCost(t)
	b = &controltest.Backend{StatusResult: *costStatus(views[0].Advertised.Metric)}
	for _, v := range views {
		b.Explanations = append(b.Explanations, v.Explanation)
	}
	return controltest.Serve(t, b), b, views
}

func TestCostCommand(t *testing.T) {
	path, _, views := costServer(t)
	costLocation = time.UTC
	t.Cleanup(func() { costLocation = nil })

	// Text: what the golden render test shows.
	code, out, errOut := runCLI("cost", "--control", path)
	if code != 0 || errOut != "" {
		t.Fatalf("cost: exit %d, stderr %q", code, errOut)
	}
	golden(t, "cost.golden", out)

	// One service, text and JSON; flags before the name.
	code, out, errOut = runCLI("cost", "--control", path, "ntp")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "Service ntp  2001:db8:123::123/128, at 12:00:05.600\n") ||
		strings.Contains(out, "Service dns") {
		t.Errorf("cost ntp: exit %d, stderr %q, output:\n%s", code, errOut, out)
	}
	code, out, errOut = runCLI("cost", "--json", "--control", path, "dns")
	if code != 0 || errOut != "" {
		t.Fatalf("cost --json dns: exit %d, stderr %q", code, errOut)
	}
	var got []render.CostView
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("cost --json is not JSON: %v\n%s", err, out)
	}
	if diff := cmp.Diff(views[:1], got, cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("cost --json dns (-sent +printed):\n%s", diff)
	}
	// The stable schema: the explanation's fields at the top level, the
	// LSA on the wire under "wire".
	for _, key := range []string{`"service": "dns"`, `"advertised": {`, `"wanted_reason": "tier 1, load 0.`,
		`"inputs": [`, `"tiers": [`, `"band": {`, `"history": [`, `"next_change_allowed": "2025-03-01T12:00:`,
		`"wire": {`, `"ls_id": "0.0.0.1"`, `"want_metric": 20`} {
		if !strings.Contains(out, key) {
			t.Errorf("cost --json lacks %s", key)
		}
	}

	// Issue 16 D9: flags after the service name are read as flags (they
	// once were refused: "flags go before the service name").
	for _, args := range [][]string{
		{"cost", "--control", path, "dns", "--json"},
		{"cost", "dns", "--json", "--control=" + path},
		{"cost", "dns", "--control", path, "--json"},
	} {
		code, after, errOut := runCLI(args...)
		if code != 0 || errOut != "" || after != out {
			t.Errorf("%q: exit %d, stderr %q, stdout differs from cost --json --control PATH dns:\n%s", args, code, errOut, after)
		}
	}
	code, _, errOut = runCLI("cost", "--control", path, "dns", "ntp")
	if code != exitUsage || errOut != "anycostd: cost takes at most one argument, [SERVICE], got 2: dns ntp\n" {
		t.Errorf("two services: exit %d, stderr %q", code, errOut)
	}
}

// TestCostErrors: the daemon is down, or does not know the service.
func TestCostErrors(t *testing.T) {
	path, _, _ := costServer(t)
	code, out, errOut := runCLI("cost", "--control", path, "dnss")
	want := "anycostd: anycostd at " + path + ": cost: no such service \"dnss\" (known: [dns ntp web])\n"
	if code != exitFailure || out != "" || errOut != want {
		t.Errorf("unknown service: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}

	down := filepath.Join(t.TempDir(), "anycostd.sock")
	want = "anycostd: cannot reach anycostd at " + down + ": connect: no such file or directory (is the daemon running?)\n"
	for _, args := range [][]string{
		{"cost", "--control", down},
		{"cost", "--json", "--control", down, "dns"},
		{"cost", "--watch", "--control", down},
	} {
		code, out, errOut := runCLI(args...)
		if code != exitFailure || out != "" || errOut != want {
			t.Errorf("%q, daemon down: exit %d, stdout %q, stderr %q; want %q", args, code, out, errOut, want)
		}
	}
}
