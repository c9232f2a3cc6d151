package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
)

// logLine is one JSON log line of the daemon.
type logLine struct {
	Level   string `json:"level"`
	Msg     string `json:"msg"`
	Service string `json:"service"`
	From    string `json:"from"`
	To      string `json:"to"`
	Reason  string `json:"reason"`
}

// TestChangeLogLines: with --log-format json, every change of a service's
// advertisement is one log line ("service advertisement") carrying from,
// to and the reason, and the lines match the changes the cost model
// recorded, one for one.
func TestChangeLogLines(t *testing.T) {
	text, err := os.ReadFile(costConfig)
	if err != nil {
		t.Fatal(err)
	}
	// dns of testdata/cost.toml (tiers, monitors) and a static service.
	dnsText := string(text[strings.Index(string(text), "[[service]]"):strings.Index(string(text), "[[service]]\nname = \"ntp\"")])
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", dnsText+svcNTP)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	pl := whatIfPlan(t, cfg, "dns", costmodel.WhatIfSet{RQueue: ptr(0.7), ProbeMS: ptr(5.0)})
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.opts.LogFormat = "json"
		td.opts.LogLevel = "info"
		td.inputs = &scriptedInputs{plans: map[string]*costmodel.WhatIfPlan{"dns": pl}}
	})
	td.rec.waitFor(t, "run")
	// ntp: drained and undrained twice; dns: up to tier 1 on its load.
	for _, on := range []bool{true, false, true, false} {
		if _, err := client(cfgPath).Drain(context.Background(), "ntp", on); err != nil {
			t.Fatalf("drain %v: %v", on, err)
		}
		time.Sleep(150 * time.Millisecond) // past min_ls_interval
	}
	td.log.Wait(t, `"service":"dns","from":"metric 10","to":"metric 20"`)
	time.Sleep(200 * time.Millisecond)

	lines := map[string][]logLine{}
	sc := bufio.NewScanner(strings.NewReader(td.log.String()))
	for sc.Scan() {
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, sc.Text())
		}
		if l.Msg != "service advertisement" {
			continue
		}
		if l.Level != "INFO" || l.Service == "" || l.From == "" || l.To == "" || l.Reason == "" {
			t.Errorf("incomplete change line: %s", sc.Text())
		}
		if len(lines[l.Service]) == 0 && l.From != "withdrawn" {
			t.Errorf("%s: first change from %q, want from withdrawn (nothing is on the wire at start)", l.Service, l.From)
		}
		lines[l.Service] = append(lines[l.Service], l)
	}
	views, err := client(cfgPath).Explain(context.Background(), "")
	if err != nil || len(views) != 2 {
		t.Fatalf("cost: %v, %+v", err, views)
	}
	for _, v := range views {
		got := lines[v.Service]
		if len(got) != v.Changes || len(v.History) != v.Changes {
			t.Errorf("%s: %d log lines for %d changes:\n%+v", v.Service, len(got), v.Changes, got)
			continue
		}
		for i, c := range v.History {
			l := got[i]
			// The manager may add "; next tier move held for ..." to the
			// decision's reason after the change was recorded.
			if l.From != c.From.String() || l.To != c.To.String() || !strings.HasPrefix(l.Reason, c.Reason) {
				t.Errorf("%s change %d: logged %s -> %s (%s), recorded %s -> %s (%s)",
					v.Service, i, l.From, l.To, l.Reason, c.From, c.To, c.Reason)
			}
		}
	}
	if n := len(lines["ntp"]); n != 5 {
		t.Errorf("ntp: %d changes logged, want 5 (advertise, then 2 x withdraw and advertise)", n)
	}
	if n := len(lines["dns"]); n != 2 {
		t.Errorf("dns: %d changes logged, want 2 (advertise metric 10, then metric 20)", n)
	}
	want := []logLine{
		{Level: "INFO", Msg: "service advertisement", Service: "ntp", From: "metric 20", To: "withdrawn",
			Reason: "withdraw: drained (manual [control socket])"},
		{Level: "INFO", Msg: "service advertisement", Service: "dns", From: "metric 10", To: "metric 20",
			Reason: "metric 10 -> 20: load 0.700 >= tier[0].up 0.6: tier 0 -> 1 (metric 10 -> 20)"},
	}
	if len(lines["ntp"]) > 1 && len(lines["dns"]) > 1 {
		if diff := cmp.Diff(want, []logLine{lines["ntp"][1], lines["dns"][1]}); diff != "" {
			t.Errorf("change lines (-want +got):\n%s", diff)
		}
	}
}

// TestChangeLogText: the default text format carries the same fields.
func TestChangeLogText(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	td := newTestDaemon(t, cfgPath, nil)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	if _, err := client(cfgPath).Drain(context.Background(), "dns", true); err != nil {
		t.Fatal(err)
	}
	td.log.Wait(t, `level=INFO msg="service advertisement" service=dns from="metric 10" to=withdrawn reason="withdraw: drained (manual [control socket])"`)
	if _, err := client(cfgPath).Drain(context.Background(), "dns", false); err != nil {
		t.Fatal(err)
	}
	td.log.Wait(t, `level=INFO msg="service advertisement" service=dns from=withdrawn to="metric 10" reason="advertise metric 10: static metric 10"`)
}

// TestDaemonMetrics: with metrics_listen set, the daemon serves /metrics
// from its OSPF instance and service manager, and stops serving when it
// exits.
func TestDaemonMetrics(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+svcNTP)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.editConfig = func(c *config.Config) { c.MetricsListen = "127.0.0.1:0" }
	})
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10 ntp=2001:db8:123::123/20")
	if _, err := client(cfgPath).Drain(context.Background(), "ntp", true); err != nil {
		t.Fatal(err)
	}
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10 ntp=2001:db8:123::123/0")
	td.log.Wait(t, `msg="serving metrics" address=http://127.0.0.1:`)
	url, fams := scrapeMetrics(t, td.log.String())
	series := func(name string) map[string]float64 {
		m := map[string]float64{}
		if f := fams[name]; f != nil {
			for _, s := range f.Metric {
				var labels []string
				for _, l := range s.Label {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
				v := s.GetGauge().GetValue() + s.GetCounter().GetValue()
				m[strings.Join(labels, ",")] = v
			}
		}
		return m
	}
	// The status of the fake instance and the real service manager.
	for _, tc := range []struct {
		name string
		want map[string]float64
	}{
		{"anycostd_source_up", map[string]float64{"source=ospf": 1, "source=services": 1, "source=wire": 1}},
		{"anycostd_service_advertised_metric", map[string]float64{"service=dns": 10}},
		{"anycostd_service_withdrawn", map[string]float64{"service=dns": 0, "service=ntp": 1}},
		{"anycostd_service_wanted_metric", map[string]float64{"service=dns": 10}},
		{"anycostd_service_withdraw_wanted", map[string]float64{"service=dns": 0, "service=ntp": 1}},
		{"anycostd_service_drained", map[string]float64{"service=dns": 0, "service=ntp": 1}},
		{"anycostd_service_changes_total", map[string]float64{"service=dns": 1, "service=ntp": 2}},
		{"anycostd_service_tier", map[string]float64{"service=dns": -1, "service=ntp": -1}},
		{"anycostd_ospf_lsas_sent_total", map[string]float64{"": 9}},
		{"anycostd_ospf_packets_dropped_total", map[string]float64{"reason=bad-checksum": 1, "reason=wrong-area": 2}},
	} {
		if diff := cmp.Diff(tc.want, series(tc.name)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	nb := series("anycostd_ospf_neighbor_state")
	if nb["address=fe80::1,neighbor=192.0.2.1,state=Full"] != 1 || nb["address=fe80::12,neighbor=192.0.2.12,state=2-Way"] != 1 ||
		nb["address=fe80::1,neighbor=192.0.2.1,state=Down"] != 0 || len(nb) != 21 {
		t.Errorf("neighbor states: %v", nb)
	}
	// Read-only.
	if resp, err := http.Post(url, "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %v %v", resp, err)
	}

	td.sigs <- syscall.SIGTERM
	if err := td.wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("metrics still served after the daemon stopped")
	}
}

// TestDaemonMetricsPortInUse: a metrics address that cannot be bound
// stops the daemon before anything is advertised.
func TestDaemonMetricsPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.editConfig = func(c *config.Config) { c.MetricsListen = busy.Addr().String() }
	})
	err = td.wait()
	want := fmt.Sprintf("metrics_listen %s: metrics listener: listen tcp %s: bind: address already in use", busy.Addr(), busy.Addr())
	if err == nil || err.Error() != want {
		t.Fatalf("run = %v, want %s", err, want)
	}
	if ev := td.rec.list(); len(ev) != 0 {
		t.Errorf("did something: %q", ev)
	}
	sock := filepath.Join(filepath.Dir(cfgPath), "ctl", "anycostd.sock")
	if _, err := os.Lstat(sock); err == nil {
		t.Error("control socket left behind")
	}
}

// scrapeMetrics fetches the daemon's /metrics, whose address its log line
// "serving metrics" gave, and parses the Prometheus text.
func scrapeMetrics(t *testing.T, logText string) (url string, fams map[string]*dto.MetricFamily) {
	t.Helper()
	m := regexp.MustCompile(`address=(http://127\.0\.0\.1:\d+/metrics)`).FindStringSubmatch(logText)
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", logText)
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err = parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("not Prometheus text: %v\n%s", err, body)
	}
	return m[1], fams
}

// TestCostUnknownService: the running daemon's service manager names the
// services it knows; a known one's explanation and what it has on the
// wire agree.
func TestCostUnknownService(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+svcNTP)
	td := newTestDaemon(t, cfgPath, nil)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10 ntp=2001:db8:123::123/20")
	c := client(cfgPath)
	_, err := c.Explain(context.Background(), "web")
	if want := "anycostd at " + c.Path + `: cost: no such service "web" (known: [dns ntp])`; err == nil || err.Error() != want {
		t.Errorf("cost web: %v, want %s", err, want)
	}
	ex, err := c.Explain(context.Background(), "ntp")
	if err != nil || len(ex) != 1 || ex[0].Service != "ntp" || ex[0].Advertised.Metric != 20 {
		t.Fatalf("cost ntp: %+v, %v", ex, err)
	}
	st, err := c.Status(context.Background())
	if err != nil || len(st.Services) != 2 || st.Services[1].Name != "ntp" || st.Services[1].Metric != 20 {
		t.Errorf("ntp on the wire: %+v, %v", st, err)
	}
}
