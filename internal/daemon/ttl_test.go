package daemon

import (
	"path/filepath"
	"testing"
)

// ospf.ttl_security = true opens the socket with hop limit 255 and turns
// the engine's check on (RFC 5082); the default does neither.
func TestTTLSecurityWired(t *testing.T) {
	for _, on := range []bool{false, true} {
		dir := t.TempDir()
		cfgPath := filepath.Join(dir, "anycostd.toml")
		extra := ""
		if on {
			extra = "ttl_security = true\n"
		}
		daemonConfig(t, cfgPath, "192.0.2.11", extra, svcDNS)
		td := newTestDaemon(t, cfgPath, nil)
		td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
		want := "listen eth0"
		if on {
			want += " ttl-security"
		}
		if td.rec.index(want) < 0 {
			t.Errorf("ttl_security %v: no %q in %q", on, want, td.rec.list())
		}
		if td.sp.cfg.TTLSecurity != on {
			t.Errorf("ttl_security %v: engine TTLSecurity %v", on, td.sp.cfg.TTLSecurity)
		}
	}
}
