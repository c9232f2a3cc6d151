package config

import (
	"net/netip"

	"github.com/anycostd/anycostd/ospf"
)

func ospfLink() ospf.Link {
	return ospf.Link{
		Name:      "eth0",
		Index:     2,
		MTU:       1500,
		LinkLocal: netip.MustParseAddr("fe80::1"),
	}
}

// serviceTOML is a [[service]] table for tests about other keys: a
// configuration without one is refused.
const serviceTOML = "[[service]]\nname = \"dns\"\nprefix = \"2001:db8:53::53/128\"\n"
