package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

// fakeStatus and fakeExplain answer with fixed data, or err.
type fakeStatus struct {
	mu    sync.Mutex
	st    ospf.Status
	err   error
	calls int
}

func (f *fakeStatus) Status(ctx context.Context) (ospf.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.st, f.err
}

// fakeWire reports what is on the wire, or err.
type fakeWire struct {
	mu   sync.Mutex
	list []services.Wire
	err  error
}

func (f *fakeWire) Wire(ctx context.Context) ([]services.Wire, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]services.Wire(nil), f.list...), f.err
}

// wire is what status's services have on the wire.
func wire() []services.Wire {
	return []services.Wire{
		{Name: "dns", Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Advertised: true, Metric: 20, Wanted: true, WantMetric: 20},
		{Name: "ntp", Prefix: netip.MustParsePrefix("2001:db8:123::123/128")},
	}
}

type fakeExplain struct {
	list []costmodel.Explanation
	err  error
}

func (f *fakeExplain) Explain(ctx context.Context, service string) ([]costmodel.Explanation, error) {
	if service != "" {
		return nil, fmt.Errorf("the collector asked for service %q, want every service", service)
	}
	return f.list, f.err
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// explanation drives a real cost model: a busy socket (rqueue 0.7, one drop
// a sample), a probe answering in 10 ms, a CPU input at 0.4 every second
// and a manual drain that was lifted, for 10 s; the
// model ends in tier 1 (metric 20).
func explanation(t *testing.T) costmodel.Explanation {
	t.Helper()
	p := costmodel.DefaultParams()
	p.Socket.Enabled, p.Probe.Enabled, p.CPU.Enabled = true, true, true
	var samples []costmodel.Sample
	for n := 0; n <= 10000; n += 100 {
		samples = append(samples, costmodel.SocketSample(0.7, 1).WithSource("sock_diag poll").WithTime(at(n)))
		if n%200 == 0 {
			samples = append(samples, costmodel.ProbeResult(true, 10*time.Millisecond).WithSource("probe").WithTime(at(n)))
		}
		if n%1000 == 0 && n < 10000 {
			samples = append(samples, costmodel.CPULoad(0.4).WithSource("cgroup").WithTime(at(n)))
		}
		if n == 1000 || n == 3000 {
			samples = append(samples, costmodel.ManualDrain(n == 1000).WithSource("control socket").WithTime(at(n)))
		}
	}
	res, err := costmodel.WhatIf("dns", p, samples, at(10050))
	if err != nil {
		t.Fatal(err)
	}
	return res.Explanation
}

func status() ospf.Status {
	return ospf.Status{
		RouterID:  "192.0.2.11",
		Area:      "0.0.0.0",
		Interface: ospf.InterfaceStatus{Name: "eth0", State: "DROther"},
		Neighbors: []ospf.NeighborStatus{
			{RouterID: "192.0.2.1", Address: "fe80::1", State: "Full", Role: "DR"},
			{RouterID: "192.0.2.12", Address: "fe80::12", State: "2-Way", Role: "DROther"},
		},
		Services: []ospf.ServiceStatus{
			{Name: "dns", Prefix: "2001:db8:53::53/128", Advertised: true, Metric: 20, Wanted: true, WantMetric: 20},
			{Name: "ntp", Prefix: "2001:db8:123::123/128"},
		},
		Counters: ospf.Counters{
			PacketsIn:    map[string]uint64{"Hello": 120, "LSUpdate": 8},
			PacketsOut:   map[string]uint64{"Hello": 118, "LSAck": 6},
			Dropped:      map[string]uint64{"bad-checksum": 1, "area-mismatch": 2},
			LSAsIn:       14,
			LSAsOut:      9,
			Retransmits:  3,
			Originations: 7, DRUnlistedRestarts: 2,
			EarlyTries: 4, EarlyTaken: 3, EarlyResends: 1,
		},
		Pacing: ospf.PacingStatus{MinLSInterval: 1100 * time.Millisecond, RouterMinLSArrival: 52 * time.Millisecond, Learned: true},
	}
}

// scrape serves h on a local listener, GETs /metrics and parses it.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(h) }()
	defer func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve = %v after Shutdown, want nil", err)
		}
	}()
	resp, err := http.Get("http://" + srv.Addr().String() + Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", Path, resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the scrape does not parse as Prometheus text: %v\n%s", err, body)
	}
	return fams
}

// values returns a family's series as "label=value,... value", sorted.
func values(fams map[string]*dto.MetricFamily, name string) []string {
	f := fams[name]
	if f == nil {
		return nil
	}
	var out []string
	for _, m := range f.Metric {
		var parts []string
		for _, l := range m.Label {
			parts = append(parts, l.GetName()+"="+l.GetValue())
		}
		var v float64
		switch {
		case m.Gauge != nil:
			v = m.Gauge.GetValue()
		case m.Counter != nil:
			v = m.Counter.GetValue()
		case m.Untyped != nil:
			v = m.Untyped.GetValue()
		}
		out = append(out, fmt.Sprintf("%s %g", strings.Join(parts, ","), v))
	}
	sort.Strings(out)
	return out
}

func TestScrape(t *testing.T) {
	e := explanation(t)
	if e.Tier != 1 || e.Advertised.Metric != 20 || !e.Health.Up || e.Changes != 3 {
		t.Fatalf("the scenario did not end as expected: tier %d, advertised %v, health %+v, %d changes",
			e.Tier, e.Advertised, e.Health, e.Changes)
	}
	st := &fakeStatus{st: status()}
	fams := scrape(t, NewHandler(NewCollector(Sources{OSPF: st, Wire: &fakeWire{list: wire()}, Explain: &fakeExplain{list: []costmodel.Explanation{e}}}, nil), nil))

	for _, tc := range []struct {
		name string
		want []string
	}{
		{"anycostd_source_up", []string{"source=ospf 1", "source=services 1", "source=wire 1"}},
		{"anycostd_ospf_interface_state", []string{
			"interface=eth0,state=Backup 0", "interface=eth0,state=DR 0", "interface=eth0,state=DROther 1",
			"interface=eth0,state=Down 0", "interface=eth0,state=Waiting 0"}},
		{"anycostd_ospf_packets_received_total", []string{"type=Hello 120", "type=LSUpdate 8"}},
		{"anycostd_ospf_packets_sent_total", []string{"type=Hello 118", "type=LSAck 6"}},
		{"anycostd_ospf_packets_dropped_total", []string{"reason=area-mismatch 2", "reason=bad-checksum 1"}},
		{"anycostd_ospf_lsas_received_total", []string{" 14"}},
		{"anycostd_ospf_lsas_sent_total", []string{" 9"}},
		{"anycostd_ospf_lsa_retransmissions_total", []string{" 3"}},
		{"anycostd_ospf_lsa_originations_total", []string{" 7"}},
		{"anycostd_ospf_dr_unlisted_restarts_total", []string{" 2"}},
		{"anycostd_ospf_early_withdrawals_total", []string{"outcome=resent 1", "outcome=sent 4", "outcome=taken 3"}},
		{"anycostd_ospf_router_min_ls_arrival_seconds", []string{"learned=true 0.052"}},
		{"anycostd_service_info", []string{"prefix=2001:db8:123::123/128,service=ntp 1", "prefix=2001:db8:53::53/128,service=dns 1"}},
		{"anycostd_service_withdrawn", []string{"service=dns 0", "service=ntp 1"}},
		{"anycostd_service_advertised_metric", []string{"service=dns 20"}},
		{"anycostd_service_wanted_metric", []string{"service=dns 20"}},
		{"anycostd_service_withdraw_wanted", []string{"service=dns 0"}},
		{"anycostd_service_change_held", []string{"service=dns 0"}},
		{"anycostd_service_tier", []string{"service=dns 1"}},
		{"anycostd_service_healthy", []string{"service=dns 1"}},
		{"anycostd_service_drained", []string{"service=dns 0"}},
		{"anycostd_service_changes_total", []string{"service=dns 3"}},
		{"anycostd_service_socket_present", []string{"service=dns 1"}},
		{"anycostd_service_socket_rqueue_ratio", []string{"service=dns 0.7"}},
		{"anycostd_service_socket_drops", []string{"service=dns 1"}},
		{"anycostd_service_probe_ok", []string{"service=dns 1"}},
		{"anycostd_service_probe_latency_seconds", []string{"service=dns 0.01"}},
		{"anycostd_service_drain_input", []string{"input=manual_drain,service=dns 0"}},
		{"anycostd_service_cpu_utilisation", []string{"service=dns 0.4"}},
		{"anycostd_service_cpu_error", []string{"service=dns 0"}},
		{"anycostd_service_input_samples_total", []string{
			"input=cpu,service=dns 10", "input=drain_file,service=dns 0", "input=external,service=dns 0", "input=manual_drain,service=dns 2",
			"input=probe,service=dns 51", "input=socket,service=dns 101"}},
		{"anycostd_service_input_stale", []string{
			"input=cpu,service=dns 0", "input=manual_drain,service=dns 0", "input=probe,service=dns 0", "input=socket,service=dns 0"}},
		{"anycostd_service_input_age_seconds", []string{
			"input=cpu,service=dns 1.05", "input=manual_drain,service=dns 7.05", "input=probe,service=dns 0.05", "input=socket,service=dns 0.05"}},
		{"anycostd_service_next_change_allowed_timestamp_seconds", []string{
			fmt.Sprintf("service=dns %g", float64(e.NextChangeAllowed.UnixMilli())/1e3)}},
	} {
		if diff := cmp.Diff(tc.want, values(fams, tc.name)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	// The neighbor state set: one series per state, 1 for the current.
	nb := values(fams, "anycostd_ospf_neighbor_state")
	if len(nb) != 14 {
		t.Errorf("neighbor state series: %d, want 7 states x 2 neighbors:\n%s", len(nb), strings.Join(nb, "\n"))
	}
	for _, s := range []string{
		"address=fe80::1,neighbor=192.0.2.1,state=Full 1", "address=fe80::1,neighbor=192.0.2.1,state=2-Way 0",
		"address=fe80::12,neighbor=192.0.2.12,state=2-Way 1", "address=fe80::12,neighbor=192.0.2.12,state=Full 0",
	} {
		if !contains(nb, s) {
			t.Errorf("neighbor states lack %q:\n%s", s, strings.Join(nb, "\n"))
		}
	}

	// Load and its terms are the model's own figures.
	if got := values(fams, "anycostd_service_load"); len(got) != 1 || got[0] != fmt.Sprintf("service=dns %g", e.Load) {
		t.Errorf("anycostd_service_load %q, model load %g", got, e.Load)
	}
	var wantTerms []string
	for _, tm := range e.Terms {
		if tm.Used {
			wantTerms = append(wantTerms, fmt.Sprintf("service=dns,term=%s %g", tm.Name, tm.Value))
		}
	}
	sort.Strings(wantTerms)
	if diff := cmp.Diff(wantTerms, values(fams, "anycostd_service_load_term")); diff != "" || len(wantTerms) != 4 {
		t.Errorf("load terms (-want +got):\n%s", diff)
	}

	// Every family of ours has HELP text and the right type; the Go and
	// process collectors are there too.
	for name, f := range fams {
		if !strings.HasPrefix(name, "anycostd_") {
			continue
		}
		if len(f.GetHelp()) < 20 {
			t.Errorf("%s: help %q", name, f.GetHelp())
		}
		isCounter := strings.HasSuffix(name, "_total")
		if isCounter != (f.GetType() == dto.MetricType_COUNTER) {
			t.Errorf("%s: type %v", name, f.GetType())
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

// TestScrapeSourceDown: a failing source shows as anycostd_source_up 0 and
// its metrics are left out; the scrape still succeeds.
func TestScrapeSourceDown(t *testing.T) {
	st := &fakeStatus{err: errors.New("instance stopped")}
	ex := &fakeExplain{list: []costmodel.Explanation{explanation(t)}}
	fams := scrape(t, NewHandler(NewCollector(Sources{OSPF: st, Wire: &fakeWire{err: st.err}, Explain: ex}, nil), nil))
	if diff := cmp.Diff([]string{"source=ospf 0", "source=services 1", "source=wire 0"}, values(fams, "anycostd_source_up")); diff != "" {
		t.Errorf("anycostd_source_up (-want +got):\n%s", diff)
	}
	for _, name := range []string{"anycostd_ospf_lsas_sent_total", "anycostd_service_withdrawn", "anycostd_ospf_neighbor_state"} {
		if fams[name] != nil {
			t.Errorf("%s exported without a status", name)
		}
	}
	if got := values(fams, "anycostd_service_tier"); len(got) != 1 {
		t.Errorf("service metrics missing when only the status failed: %q", got)
	}
}

// TestScrapeFresh: every scrape asks the sources again.
func TestScrapeFresh(t *testing.T) {
	st := &fakeStatus{st: status()}
	w := &fakeWire{list: wire()}
	h := NewHandler(NewCollector(Sources{OSPF: st, Wire: w}, nil), nil)
	a := scrape(t, h)
	st.mu.Lock()
	st.st.Counters.LSAsOut = 10
	st.mu.Unlock()
	w.mu.Lock()
	w.list[0].Metric = 40
	w.mu.Unlock()
	b := scrape(t, h)
	if got := values(a, "anycostd_service_advertised_metric"); !cmp.Equal(got, []string{"service=dns 20"}) {
		t.Errorf("first scrape: %q", got)
	}
	if got := values(b, "anycostd_service_advertised_metric"); !cmp.Equal(got, []string{"service=dns 40"}) {
		t.Errorf("second scrape: %q", got)
	}
	if got := values(b, "anycostd_ospf_lsas_sent_total"); !cmp.Equal(got, []string{" 10"}) {
		t.Errorf("second scrape: %q", got)
	}
	if st.calls != 2 {
		t.Errorf("status asked %d times for two scrapes", st.calls)
	}
	if a["anycostd_service_tier"] != nil {
		t.Error("service model metrics without an explain source")
	}
}

// TestReadOnly: only GET and HEAD of /metrics.
func TestReadOnly(t *testing.T) {
	srv, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(NewHandler(NewCollector(Sources{OSPF: &fakeStatus{st: status()}}, nil), nil))
	defer srv.Shutdown(context.Background())
	base := "http://" + srv.Addr().String()
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/metrics", 200},
		{http.MethodHead, "/metrics", 200},
		{http.MethodPost, "/metrics", 405},
		{http.MethodDelete, "/metrics", 405},
		{http.MethodGet, "/", 404},
		{http.MethodGet, "/debug/pprof/", 404},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.code)
		}
	}
}

// TestShutdownBeforeServe: the daemon may stop before serving.
func TestShutdownBeforeServe(t *testing.T) {
	srv, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr().String()
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(http.NotFoundHandler()); err != nil {
		t.Errorf("Serve after Shutdown = %v, want nil", err)
	}
	if _, err := http.Get("http://" + addr + Path); err == nil {
		t.Error("the port still answers after Shutdown")
	}
	if _, err := Listen("256.0.0.1:1"); err == nil || !strings.HasPrefix(err.Error(), "metrics listener: ") {
		t.Errorf("bad address: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
