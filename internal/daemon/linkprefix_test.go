package daemon

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
)

// A change of the interface's global addresses reaches the engine (its
// Link-LSA follows them); up/down and MTU are left alone.
func TestLinkPrefixesWired(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	td := newTestDaemon(t, cfgPath, nil)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	li := td.host.link
	li.Prefixes = []netip.Prefix{netip.MustParsePrefix("2001:db8:7::1/64")}
	td.host.linkEvents <- li
	td.rec.waitFor(t, "link prefixes [2001:db8:7::1/64]")
	for _, e := range td.rec.list() {
		if strings.HasPrefix(e, "link up=") {
			t.Errorf("an address change was reported as a link change: %q", td.rec.list())
		}
	}
}
