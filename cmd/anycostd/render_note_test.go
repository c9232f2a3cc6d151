package main

import (
	"strings"
	"testing"

	"github.com/anycostd/anycostd/ospf"
)

// A neighbor note (a router requiring TTL security) is shown under the
// neighbor table.
func TestRenderNeighborNote(t *testing.T) {
	nbrs := []ospf.NeighborStatus{{RouterID: "192.0.2.1", State: "Init", HopLimit: 255, Note: "needs TTL security"}}
	var b strings.Builder
	if err := renderNeighborTable(&b, "eth0", "DROther", nbrs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Neighbor 192.0.2.1: needs TTL security\n") {
		t.Errorf("no note line in\n%s", b.String())
	}
}
