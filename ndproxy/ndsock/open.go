package ndsock

import (
	"log/slog"
	"net/netip"

	"github.com/anycostd/anycostd/ndproxy"
)

// Open is ndproxy.New on a real interface: it opens the ND socket on
// cfg.Interface and counts queries with a PacketCounter per service.
func Open(cfg ndproxy.Config, svcs []ndproxy.Service, log *slog.Logger) (*ndproxy.Speaker, error) {
	c, err := Listen(cfg.Interface)
	if err != nil {
		return nil, err
	}
	open := func(a netip.Addr) (ndproxy.QueryCounter, error) { return OpenPacketCounter(c.Index(), a) }
	s, err := ndproxy.New(cfg, svcs, c, open, log)
	if err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}
