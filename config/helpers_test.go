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
