package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/render"
)

func TestWhatIfGolden(t *testing.T) {
	code, out, errOut := runCLI("cost", "what-if", "--config", costConfig, "--service", "dns",
		"--set", "rqueue=0.8", "--set", "probe_ms=40", "--set", "drops=5", "--set", "external=0.3")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden(t, "whatif.golden", out)

	// Commas separate --set values too; -s is --service.
	code, out, errOut = runCLI("cost", "what-if", "-c", costConfig, "-s", "web", "--set", "drain=on,probe_ms=10")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden(t, "whatif-drain.golden", out)
}

func TestWhatIfJSON(t *testing.T) {
	code, out, errOut := runCLI("cost", "what-if", "-c", costConfig, "-s", "dns", "--set", "probe=fail", "--json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var o render.WhatIfOutput
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !o.Withdrawn || o.Metric != 0 || !o.Settled || o.SimulatedMS != 15000 || o.Service != "dns" ||
		!strings.Contains(o.Result.Explanation.WantedReason, "probe down") {
		t.Errorf("probe=fail: %+v", o)
	}
	want := []costmodel.WhatIfInput{
		{Input: "socket", Value: "present, rqueue 0.000, drops 0/s", Every: "100ms", Assumed: true},
		{Input: "probe", Value: "fail", Every: "200ms"},
		{Input: "external", Value: "load 0.000", Every: "1s", Assumed: true},
	}
	if diff := cmp.Diff(want, o.Inputs, cmp.AllowUnexported(costmodel.WhatIfInput{}), cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".template" || p.Last().String() == ".interval" || p.Last().String() == ".dropRate"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("inputs (-want +got):\n%s", diff)
	}
}

func TestWhatIfErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--service", "dns", "--set", "rqueue=0.8"}, exitUsage,
			"anycostd: cost what-if: --config is required (see anycostd cost what-if --help)\n"},
		{[]string{"-c", costConfig, "--service", "dnss"}, exitUsage,
			"anycostd: no service \"dnss\" in the configuration (known: dns, ntp, web)\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "rqueue"}, exitUsage,
			"anycostd: --set \"rqueue\": want KEY=VALUE\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "load=0.5"}, exitUsage,
			"anycostd: --set load: unknown input (known: socket, rqueue, drops, probe, probe_ms, external, cpu, drain, drain_file)\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "rqueue=1.5"}, exitUsage,
			"anycostd: --set rqueue=1.5: want a number in 0..1\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "rqueue=NaN"}, exitUsage,
			"anycostd: --set rqueue=NaN: want a number in 0..1\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "drain=maybe"}, exitUsage,
			"anycostd: --set drain=maybe: want on or off\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "probe=slow"}, exitUsage,
			"anycostd: --set probe=slow: want ok or fail\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "socket=half"}, exitUsage,
			"anycostd: --set socket=half: want present or absent\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "rqueue=0.1", "--set", "rqueue=0.2"}, exitUsage,
			"anycostd: --set rqueue given twice\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "socket=absent,rqueue=0.2"}, exitUsage,
			"anycostd: --set socket=absent: rqueue and drops need a present socket\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "probe=fail,probe_ms=3"}, exitUsage,
			"anycostd: --set probe=fail: probe_ms is the latency of a good probe\n"},
		{[]string{"-c", costConfig, "-s", "ntp", "--set", "rqueue=0.5"}, exitUsage,
			"anycostd: --set socket, rqueue and drops: service ntp has no [service.socket], so the daemon never sees that input\n"},
		{[]string{"-c", costConfig, "-s", "web", "--set", "external=0.5"}, exitUsage,
			"anycostd: --set external: service web has no [service.external], so the daemon never sees that input\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--set", "cpu=0.5"}, exitUsage,
			"anycostd: --set cpu: service dns has no [service.cpu], so the daemon never sees that input\n"},
		{[]string{"-c", costConfig, "-s", "web", "--set", "drain_file=on"}, exitUsage,
			"anycostd: --set drain_file: service web has no drain_file, so the daemon never sees that input\n"},
		{[]string{"-c", costConfig, "-s", "dns", "--for", "-1s"}, exitUsage,
			"anycostd: --for -1s: want a duration above 0 and at most 24h\n"},
		{[]string{"-c", costConfig, "-s", "dns", "rqueue=0.5"}, exitUsage,
			"anycostd: cost what-if takes no arguments, got 1: rqueue=0.5\n"},
		{[]string{"-c", "../../testdata/config/syntax.toml", "-s", "dns"}, exitConfig,
			"anycostd: ../../testdata/config/syntax.toml:3: syntax error: expected value but found \"eth\" instead (after key ospf.interface)\n"},
	} {
		code, out, errOut := runCLI(append([]string{"cost", "what-if"}, tc.args...)...)
		// Issue 16 D8: a usage error is one line on stderr, with nothing
		// (no help text) on stdout.
		if code != tc.code || errOut != tc.stderr || out != "" {
			t.Errorf("%q: exit %d, stderr %q\nwant exit %d, stderr %q", tc.args, code, errOut, tc.code, tc.stderr)
		}
	}
}

// driveLikeManager runs samples through a live costmodel.Model the way
// services.Manager drives one: the model is made when the manager starts
// and decides at once; the samples queued at one instant are all observed,
// then the model decides once; between samples the manager's timer calls
// Decide when the last decision's Wake comes due. It returns the last
// decision and every change.
func driveLikeManager(name string, p costmodel.Params, samples []costmodel.Sample, start, end time.Time) (costmodel.Decision, []costmodel.Change) {
	m := costmodel.New(name, p, start)
	var changes []costmodel.Change
	now := start
	decide := func(at time.Time) costmodel.Decision {
		now = at
		d := m.Decide(at)
		if d.Changed {
			c, _ := m.LastChange()
			changes = append(changes, c)
		}
		return d
	}
	d := decide(start)
	for i := 0; ; {
		next := end
		if i < len(samples) {
			next = samples[i].At
		}
		// The timer fires before the next sample arrives.
		if w := d.Wake(); !w.IsZero() && w.After(now) && w.Before(next) {
			d = decide(w)
			continue
		}
		if i == len(samples) {
			break
		}
		for ; i < len(samples) && samples[i].At.Equal(next); i++ {
			m.Observe(next, samples[i])
		}
		d = decide(next)
	}
	for w := d.Wake(); !w.IsZero() && w.After(now) && !w.After(end); w = d.Wake() {
		d = decide(w)
	}
	return decide(end), changes
}

// whatIfCases are inputs and the advertisement they must end with, for
// the services of testdata/cost.toml: dns (socket, probe, external; tiers
// 10/20/40 up at 0.6/0.85, drain withdraws), web (probe; tiers 10/30 up
// at 0.5, drain max-tier), ntp (no monitors, static 100).
var whatIfCases = []struct {
	service string
	set     []string
	want    string // "metric N" or "withdrawn"
}{
	{"dns", nil, "metric 10"},
	{"dns", []string{"rqueue=0.7"}, "metric 20"},
	{"dns", []string{"rqueue=0.8", "probe_ms=40", "drops=5", "external=0.3"}, "metric 20"},
	{"dns", []string{"rqueue=0.9"}, "metric 40"},
	{"dns", []string{"probe_ms=45"}, "metric 40"},
	{"dns", []string{"drops=30"}, "metric 40"},
	{"dns", []string{"drops=5"}, "metric 10"},
	{"dns", []string{"external=0.62"}, "metric 20"},
	{"dns", []string{"external=error", "rqueue=0.5"}, "metric 10"},
	{"dns", []string{"probe=fail"}, "withdrawn"},
	{"dns", []string{"socket=absent"}, "withdrawn"},
	{"dns", []string{"drain=on", "rqueue=0.9"}, "withdrawn"},
	{"dns", []string{"drain_file=on"}, "withdrawn"},
	{"dns", []string{"drain=off", "drain_file=off", "socket=present", "probe=ok"}, "metric 10"},
	{"web", nil, "metric 10"},
	{"web", []string{"probe_ms=30"}, "metric 30"},
	{"web", []string{"drain=on"}, "metric 30"},
	{"web", []string{"probe=fail"}, "withdrawn"},
	{"ntp", nil, "metric 100"},
	{"ntp", []string{"drain=on"}, "withdrawn"},
}

// TestWhatIfEqualsLive: for the same inputs, what-if ends with the same
// advertisement, after the same changes, as a live model with the same
// parameters driven as the service manager drives it.
func TestWhatIfEqualsLive(t *testing.T) {
	cfg, err := config.Load(costConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range whatIfCases {
		t.Run(tc.service+"/"+strings.Join(tc.set, ","), func(t *testing.T) {
			set, err := costmodel.ParseWhatIfSet(tc.set)
			if err != nil {
				t.Fatal(err)
			}
			pl, err := planWhatIf(cfg, tc.service, set, 0)
			if err != nil {
				t.Fatal(err)
			}
			out, err := runWhatIf(pl, costConfig)
			if err != nil {
				t.Fatal(err)
			}
			got := costmodel.Advert{Withdrawn: out.Withdrawn, Metric: out.Metric}
			if got.String() != tc.want || !out.Settled {
				t.Errorf("what-if: %s (settled %v), want %s", got, out.Settled, tc.want)
			}

			// The live model: same parameters (as the daemon builds
			// them), same samples.
			p := costParams(t, tc.service)
			if diff := cmp.Diff(p, pl.Params); diff != "" {
				t.Errorf("what-if parameters differ from the daemon's (-daemon +what-if):\n%s", diff)
			}
			start := render.WhatIfStart
			d, changes := driveLikeManager(tc.service, p, pl.Samples(start), start, start.Add(pl.Duration))
			if live := d.Advert(); live != got {
				t.Errorf("live model: %s, what-if: %s", live, got)
			}
			// WhatIf decides after every sample, the manager once for the
			// samples queued at one instant, so the inputs recorded with a
			// change may differ; the changes themselves must not.
			if diff := cmp.Diff(adverts(changes), adverts(out.Result.Changes)); diff != "" {
				t.Errorf("changes (-live +what-if):\n%s", diff)
			}
		})
	}
}

// adverts reduces changes to their times and advertisements.
func adverts(cs []costmodel.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("t+%v %s -> %s tier %d", c.At.Sub(render.WhatIfStart), c.From, c.To, c.Tier))
	}
	return out
}
