package lab

import (
	"fmt"
	"strings"
)

// RouterConfig is the FRR config of the link router used throughout the
// project (docs/routers.md): every interface in ifaces (default
// "eth0") in area 0.0.0.0 with hello 1 s, dead 4 s and priority 10, and
// ospf6d with the given router ID and up to 64 equal-cost paths.
func RouterConfig(routerID string, ifaces ...string) string {
	if len(ifaces) == 0 {
		ifaces = []string{"eth0"}
	}
	var b strings.Builder
	for _, ifn := range ifaces {
		fmt.Fprintf(&b, "interface %s\n", ifn)
		b.WriteString(" ipv6 ospf6 area 0.0.0.0\n")
		b.WriteString(" ipv6 ospf6 hello-interval 1\n")
		b.WriteString(" ipv6 ospf6 dead-interval 4\n")
		b.WriteString(" ipv6 ospf6 priority 10\n")
	}
	b.WriteString("router ospf6\n")
	fmt.Fprintf(&b, " ospf6 router-id %s\n", routerID)
	b.WriteString(" maximum-paths 64\n")
	return b.String()
}

// ServerConfig is the FRR config of an FRR "server", the baseline anycostd
// replaces: iface (default "eth0") in area 0.0.0.0 with hello 1 s, dead 4 s
// and priority 0, and lo passive in area 0.0.0.0, so the addresses on lo
// (the anycast /128, see Host.AddAddr) are advertised with lo's cost as
// metric (FRR's default 10; change it with `ipv6 ospf6 cost N` on lo).
func ServerConfig(routerID, iface string) string {
	if iface == "" {
		iface = "eth0"
	}
	return fmt.Sprintf(`interface %s
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 priority 0
interface lo
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 passive
router ospf6
 ospf6 router-id %s
`, iface, routerID)
}
