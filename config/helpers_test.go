package config

import (
	"net/netip"

	"github.com/anycostd/anycostd/netif"
)

func ospfLink() netif.Link {
	return netif.Link{
		Name:      "eth0",
		Index:     2,
		MTU:       1500,
		LinkLocal: netip.MustParseAddr("fe80::1"),
	}
}
