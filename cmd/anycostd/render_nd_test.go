package main

import (
	"strings"
	"testing"

	"github.com/anycostd/anycostd/control/controltest"
)

// TestStatusBothModes: the CLI prints the status of a daemon running
// both modes: --json with the documented names, the text with both
// parts.
func TestStatusBothModes(t *testing.T) {
	b := &controltest.Backend{StatusResult: controltest.Status()}
	path := controltest.Serve(t, b)
	code, out, errOut := runCLI("status", "--json", "--control", path)
	if code != 0 || errOut != "" {
		t.Fatalf("status --json: exit %d, stderr %q", code, errOut)
	}
	for _, key := range []string{`"ospf": {`, `"router_id": "192.0.2.11"`, `"nd": {`, `"services": [`, `"mode": "ospf"`, `"state": "active"`, `"turns": 61`,
		`"nas_sent": 63`, `"peer_nas": 120`, `"answers": 2`, `"last_turn": "2025-03-01T11:59:58.8Z"`,
		`"mean_wait_ns": 1482000000`, `"mean_turn_ns": 700000000`, `"idle_cause": "no_solicitation"`,
		`"malformed": 3`, `"hop_limit": 1`, `"other_target": 28`} {
		if !strings.Contains(out, key) {
			t.Errorf("status --json lacks %s:\n%s", key, out)
		}
	}
	code, out, errOut = runCLI("status", "--control", path)
	if code != 0 || errOut != "" {
		t.Fatalf("status: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "ND mode on interface eth0") || !strings.Contains(out, "Router ID 192.0.2.11") {
		t.Errorf("status text lacks a part:\n%s", out)
	}
}
