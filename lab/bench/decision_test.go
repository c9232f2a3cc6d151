package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFirstDecision(t *testing.T) {
	// Lines as anycostd writes them (log_format text).
	log := `time=2026-11-27T18:29:11.767Z level=INFO msg="service advertisement" service=dns from=withdrawn to="metric 10" reason="advertise metric 10: static metric 10"
time=2026-11-27T18:29:29.315Z level=INFO msg="service advertisement" service=dns from="metric 10" to=withdrawn reason="withdraw: socket gone [sock_diag destroy]"
time=2026-11-27T18:29:29.316Z level=INFO msg="flushing LSA" lsa="Intra-Prefix id=0.0.0.1 adv=192.0.2.12"
time=2026-11-27T18:29:30.415Z level=INFO msg="service advertisement" service=dns from=withdrawn to="metric 10" reason="advertise metric 10: static metric 10"
time=2026-11-27T18:29:48.939Z level=INFO msg="service advertisement" service=dns from="metric 10" to=withdrawn reason="withdraw: probe failed 2 times [probe]"
`
	path := filepath.Join(t.TempDir(), "anycostd.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		since time.Time
		to    string
		want  decision
		err   error
	}{
		{at("2026-11-27T18:29:29.3155Z"), "withdrawn", decision{at("2026-11-27T18:29:29.315Z"), "withdrawn", "sock_diag destroy"}, nil},
		{at("2026-11-27T18:29:30Z"), "withdrawn", decision{at("2026-11-27T18:29:48.939Z"), "withdrawn", "probe"}, nil},
		{at("2026-11-27T18:29:29.4Z"), "metric 10", decision{at("2026-11-27T18:29:30.415Z"), "metric 10", ""}, nil},
		{at("2026-11-27T18:30:00Z"), "withdrawn", decision{}, errNoDecision},
	}
	for _, tt := range tests {
		got, err := firstDecision(path, tt.since, tt.to)
		if err != tt.err {
			t.Errorf("firstDecision(%v, %q): error %v, want %v", tt.since, tt.to, err, tt.err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("firstDecision(%v, %q) (-want +got):\n%s", tt.since, tt.to, diff)
		}
	}
}
