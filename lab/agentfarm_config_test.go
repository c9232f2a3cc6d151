package lab

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/anycostd/anycostd/config"
)

// TestRouterAgentTOMLParses reads the lab agent's configuration as
// `anycostd router` does (config.Parse), at both log levels the lab and
// the bench use: the zebra backend on the router's socket, the servers'
// link named by the router's interface and router ID, the prefixes. No
// namespace: it runs anywhere.
func TestRouterAgentTOMLParses(t *testing.T) {
	prefixes := []netip.Prefix{Anycast}
	for _, level := range []string{"debug", "info"} {
		toml := routerAgentTOML("/run/lab/router.sock", "/run/frr/r1/zserv.api", 7, prefixes, level)
		c, err := config.Parse("router.toml", []byte(toml))
		if err != nil {
			t.Fatalf("log level %s: %v\n%s", level, err, toml)
		}
		r := c.Router
		if r == nil || r.Backend != config.BackendZebra || r.ZebraSocket != "/run/frr/r1/zserv.api" ||
			r.ServerIfindex != 7 || config.DottedQuad(r.ServerDR) != "192.0.2.1" || !slices.Equal(r.Prefixes, prefixes) {
			t.Errorf("log level %s: [router] read as %+v", level, r)
		}
		if want, _ := config.ParseLogLevel(level); c.LogLevel != want {
			t.Errorf("log level %s: read as %v", level, c.LogLevel)
		}
	}
}

// The lab's kernel-backend agent configuration parses too: the kernel
// backend on the router's namespace with the lease.
func TestKernelAgentTOMLParses(t *testing.T) {
	prefixes := []netip.Prefix{Anycast}
	toml := kernelAgentTOML("/run/lab/router.sock", "/var/run/netns/lab-r1", 2*time.Second, 7, prefixes, "debug")
	c, err := config.Parse("router.toml", []byte(toml))
	if err != nil {
		t.Fatalf("%v\n%s", err, toml)
	}
	r := c.Router
	if r == nil || r.Backend != config.BackendKernel || r.KernelNetns != "/var/run/netns/lab-r1" || r.KernelLease != 2*time.Second ||
		r.ServerIfindex != 7 || config.DottedQuad(r.ServerDR) != "192.0.2.1" || !slices.Equal(r.Prefixes, prefixes) {
		t.Errorf("[router] read as %+v", r)
	}
}

// The bench's agent with its load correction off (RouterAgent.Router:
// min_factor = max_factor = 1) parses, with both bounds read as 1.
func TestRouterAgentTOMLFixedWeights(t *testing.T) {
	toml := routerAgentTOML("/run/lab/router.sock", "/run/frr/r1/zserv.api", 7, []netip.Prefix{Anycast}, "info") +
		"min_factor = 1.0\nmax_factor = 1.0\n"
	c, err := config.Parse("router.toml", []byte(toml))
	if err != nil {
		t.Fatalf("%v\n%s", err, toml)
	}
	if r := c.Router; r == nil || r.MinFactor != 1 || r.MaxFactor != 1 {
		t.Errorf("[router] read as %+v, want min_factor and max_factor 1", r)
	}
}
