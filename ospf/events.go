package ospf

import "net/netip"

// event is what reaches the owning goroutine. Events carry values and keys,
// never pointers into the engine's state.
type event interface{ eventName() string }

type (
	evPacket   struct{ d Datagram }
	evServices struct{ svcs []Service }
	evLink     struct {
		up  bool
		mtu int
	}
	evLinkPrefixes struct{ prefixes []netip.Prefix }
	evShutdown     struct{}
	evStatus       struct{ reply chan<- Status }
	evLSDB         struct{ reply chan<- []LSDBEntry }
)

func (evPacket) eventName() string       { return "packet" }
func (evServices) eventName() string     { return "services" }
func (evLink) eventName() string         { return "link" }
func (evLinkPrefixes) eventName() string { return "link-prefixes" }
func (evShutdown) eventName() string     { return "shutdown" }
func (evStatus) eventName() string       { return "status" }
func (evLSDB) eventName() string         { return "lsdb" }

// writerFunc adapts Transport.WriteDatagram for the engine's output.
type writerFunc func(dst netip.Addr, data []byte) error
