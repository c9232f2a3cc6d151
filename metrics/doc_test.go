package metrics

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/metrics.md from the metrics' descriptions")

const metricsDoc = "../docs/metrics.md"

// docTable writes a table of the metrics: name, type, labels, help.
func docTable(b *strings.Builder, descs []desc) {
	b.WriteString("| metric | type | labels | meaning |\n|---|---|---|---|\n")
	for _, d := range descs {
		kind := "gauge"
		if d.kind == prometheus.CounterValue {
			kind = "counter"
		}
		labels := make([]string, len(d.labels))
		for i, l := range d.labels {
			labels[i] = "`" + l + "`"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", d.name, kind, strings.Join(labels, ", "), strings.ReplaceAll(d.help, "|", "\\|"))
	}
}

// metricsMarkdown is docs/metrics.md.
func metricsMarkdown() string {
	var b strings.Builder
	b.WriteString(`# Metrics

<!-- Written by the metrics package's test from the metrics' descriptions
(go test ./metrics -update-docs); do not edit by hand. -->

Off by default. ` + "`metrics_listen = \"127.0.0.1:9153\"`" + ` (or ` + "`\":9153\"`" + `, which means
loopback) serves the Prometheus text format on ` + "`http://ADDRESS/metrics`" + `, read-only (GET
and HEAD of ` + "`/metrics`" + ` only). Every scrape asks the daemon afresh, so it shows what
` + "`anycostd status`" + ` and ` + "`anycostd cost`" + ` show at that moment. A port that cannot be
bound stops anycostd at start, before anything is advertised; changing ` + "`metrics_listen`" + `
needs a restart. The Go runtime's (` + "`go_*`" + `) and the process's (` + "`process_*`" + `) metrics
come along.

A mode's metrics are there only while it runs: a daemon without ` + "`[ospf]`" + ` exports no
` + "`anycostd_ospf_*`" + ` series, one without ` + "`[nd]`" + ` no ` + "`anycostd_nd_*`" + `; the
` + "`anycostd_service_*`" + ` series cover the services of every mode.

## Services, cost models and OSPF

`)
	docTable(&b, allDescs)
	b.WriteString(`
For example, alert on ` + "`anycostd_service_withdrawn == 1`" + ` for longer than a drain, or graph
` + "`anycostd_service_advertised_metric`" + ` against ` + "`anycostd_service_load`" + `.

## BFD

With ` + "`[ospf.bfd]`" + ` ([bfd.md](bfd.md)): the sessions with the OSPF DR and BDR.

`)
	docTable(&b, bfdDescs)
	b.WriteString(`
For example, alert on ` + "`anycostd_bfd_sessions{state=\"Up\"} < 1`" + `, or on
` + "`increase(anycostd_bfd_state_changes_total{state=\"Down\"}[10m]) > 0`" + ` (false Downs: the
interval is too short for the machine's load).

## ND mode

`)
	docTable(&b, ndDescs)
	b.WriteString(`
## Router agent

` + "`anycostd router`" + ` serves these (with the ` + "`anycostd_ospf_*`" + ` series of its OSPF instance)
when its configuration has ` + "`metrics_listen`" + `.

`)
	docTable(&b, routerDescs)
	return b.String()
}

// TestMetricsDoc: docs/metrics.md lists every metric as the collector
// describes it.
func TestMetricsDoc(t *testing.T) {
	want := metricsMarkdown()
	if *updateDocs {
		if err := os.WriteFile(metricsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(metricsDoc)
	if err != nil {
		t.Fatalf("%v (go test ./metrics -update-docs writes it)", err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("%s is not what the collector describes; go test ./metrics -update-docs rewrites it (-want +got):\n%s", metricsDoc, diff)
	}
}
