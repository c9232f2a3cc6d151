package lab

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// costWire is the part of `anycostd cost --json` this test reads.
type costWire struct {
	Service string `json:"service"`
	Wire    *struct {
		Advertised bool   `json:"advertised"`
		Metric     uint16 `json:"metric"`
		Seq        string `json:"seq"`
	} `json:"wire"`
}

var metricLine = regexp.MustCompile(`(?m)^\s*Metric: (\d+)`)

// Issue 4: against the running lab, `anycostd cost --json` says what the
// router's LSDB holds for that server, before and after a change, and the
// daemon's Prometheus endpoint carries the advertised metric.
func TestCostAndMetricsMatchRouter(t *testing.T) {
	f := NewFarm(t, 2)
	s1, s2 := f.Servers[0], f.Servers[1]
	conf := func(metric int) string {
		return "metrics_listen = \"[::1]:9153\"\n" + s1.TOML(ServiceTOML("dns", Anycast, metric))
	}
	s1.WriteConfig(conf(10))
	s1.Start()
	s2.Start()
	fibIs(t, f, Anycast, 30*time.Second, "2-way ECMP", LinkLocals(s1, s2))

	check := func(want int) {
		t.Helper()
		WaitFor(t, 10*time.Second, fmt.Sprintf("cost --json, the router's LSDB and /metrics to agree on %d", want), func() (bool, error) {
			out, err := s1.CLI("cost", "--json", "dns")
			if err != nil {
				return false, fmt.Errorf("cost --json: %v: %s", err, out)
			}
			var views []costWire
			if err := json.Unmarshal(out, &views); err != nil || len(views) != 1 || views[0].Wire == nil {
				return false, fmt.Errorf("cost --json: %v: %s", err, out)
			}
			w := views[0].Wire
			l, ok, err := f.Router.LSA("intra-prefix", "0.0.0.1", s1.RouterID)
			if err != nil || !ok {
				return false, fmt.Errorf("router LSA: ok=%v err=%v", ok, err)
			}
			m := metricLine.FindStringSubmatch(l.Text)
			if m == nil {
				return false, fmt.Errorf("no metric in the router's LSA:\n%s", l.Text)
			}
			routerMetric, _ := strconv.Atoi(m[1])
			seq := fmt.Sprintf("%08x", l.Seq)
			scraped, err := scrapeAdvertised(s1)
			if err != nil {
				return false, err
			}
			if !w.Advertised || int(w.Metric) != want || routerMetric != want || w.Seq != seq || scraped != float64(want) {
				return false, fmt.Errorf("cost --json: advertised %v metric %d seq %s; router: metric %d seq %s; /metrics %v",
					w.Advertised, w.Metric, w.Seq, routerMetric, seq, scraped)
			}
			return true, nil
		})
	}
	check(10)
	time.Sleep(1200 * time.Millisecond)
	s1.WriteConfig(conf(30))
	s1.Signal(syscall.SIGHUP)
	check(30)
}

// scrapeAdvertised reads anycostd_service_advertised_metric{service="dns"}
// from the server's metrics endpoint, from inside its namespace.
func scrapeAdvertised(s *Server) (float64, error) {
	// The socket is made on the namespace's thread (Do); net/http would
	// dial from another goroutine, in the wrong namespace.
	var body string
	err := s.Do(func() error {
		conn, err := net.DialTimeout("tcp", "[::1]:9153", 2*time.Second)
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "GET /metrics HTTP/1.0\r\nHost: [::1]:9153\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err
	})
	if err != nil {
		return 0, err
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("metrics do not parse as Prometheus text: %w", err)
	}
	fam := fams["anycostd_service_advertised_metric"]
	if fam == nil {
		return 0, fmt.Errorf("no anycostd_service_advertised_metric in:\n%s", body)
	}
	for _, m := range fam.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "service" && l.GetValue() == "dns" {
				return m.GetGauge().GetValue(), nil
			}
		}
	}
	return 0, fmt.Errorf("no dns series in anycostd_service_advertised_metric")
}
