package lab

import (
	"os"
	"strings"
	"testing"
	"time"
)

// docs/sites.md shows the configs the two-site lab runs: the ABR's and
// the core's FRR configs and the servers' service, as rendered here.
func TestSitesDocConfigs(t *testing.T) {
	b, err := os.ReadFile("../docs/sites.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, c := range []struct{ what, text string }{
		{"ABR A's frr.conf", ABRRouter("192.0.2.2", "0.0.0.1").String()},
		{"the core's frr.conf", CoreRouter(coreRouterID, 10, 15).String()},
		{"the servers' service", SiteServiceTOML("/run/dns/load", 2*time.Second)},
	} {
		if !strings.Contains(doc, "```\n"+c.text+"```\n") && !strings.Contains(doc, "```toml\n"+c.text+"```\n") {
			t.Errorf("docs/sites.md does not show %s as the lab renders it:\n%s", c.what, c.text)
		}
	}
}
