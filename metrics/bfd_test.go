package metrics

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/control/controltest"
)

type fakeBFD struct{ st bfd.Status }

func (f *fakeBFD) Status(ctx context.Context) (bfd.Status, error) { return f.st, nil }

func TestScrapeBFD(t *testing.T) {
	fams := scrape(t, NewHandler(NewCollector(Sources{OSPF: &fakeStatus{st: status()}, BFD: &fakeBFD{st: controltest.BFDStatus()}}, nil), nil))
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"anycostd_source_up", []string{"source=bfd 1", "source=ospf 1"}},
		{"anycostd_bfd_sessions", []string{"state=AdminDown 0", "state=Down 1", "state=Init 0", "state=Up 1"}},
		{"anycostd_bfd_session_state", []string{
			"peer=fe80::1,state=AdminDown 0", "peer=fe80::1,state=Down 0", "peer=fe80::1,state=Init 0", "peer=fe80::1,state=Up 1",
			"peer=fe80::2,state=AdminDown 0", "peer=fe80::2,state=Down 1", "peer=fe80::2,state=Init 0", "peer=fe80::2,state=Up 0"}},
		{"anycostd_bfd_session_detect_time_seconds", []string{"peer=fe80::1 0.15", "peer=fe80::2 0"}},
		{"anycostd_bfd_session_flaps_total", []string{"peer=fe80::1 1", "peer=fe80::2 0"}},
		{"anycostd_bfd_state_changes_total", []string{"state=AdminDown 0", "state=Down 1", "state=Init 1", "state=Up 2"}},
		{"anycostd_bfd_packets_dropped_total", []string{"reason=unknown-peer 4"}},
	} {
		if diff := cmp.Diff(tc.want, values(fams, tc.name)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestScrapeNoBFD: without [ospf.bfd] no BFD series is exported.
func TestScrapeNoBFD(t *testing.T) {
	fams := scrape(t, NewHandler(NewCollector(Sources{OSPF: &fakeStatus{st: status()}}, nil), nil))
	for name := range fams {
		if len(name) > 13 && name[:13] == "anycostd_bfd_" {
			t.Errorf("%s exported without BFD", name)
		}
	}
}
