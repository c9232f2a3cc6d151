package ospf

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/netif"
)

// Config is what an instance needs to know about itself and its link.
type Config struct {
	RouterID   uint32
	AreaID     uint32
	InstanceID uint8
	// Link is the one broadcast interface the instance runs on. Its Up is
	// not read: the instance starts with the link up and learns of
	// changes through SetLink.
	Link netif.Link
	Cost uint16 // interface output cost in the Router-LSA
	// Priority is the router priority (RFC 2328 9.4). anycostd runs at 0,
	// a host that never becomes DR or BDR; tests give an engine a higher
	// one to play the link router.
	Priority uint8
	// StubArea clears the E option (the area takes no AS-external LSAs).
	StubArea           bool
	HelloInterval      time.Duration
	DeadInterval       time.Duration
	RetransmitInterval time.Duration
	// TransmitDelay is InfTransDelay, added to the age of LSAs sent.
	TransmitDelay time.Duration
	// MinLSInterval paces the instances of each self-originated LSA; keep it
	// above the routers' MinLSArrival (1 s on FRR and BIRD). A withdrawal
	// is not held by it: it takes one early try (early.go).
	MinLSInterval time.Duration
	// MinLSArrival is this instance's own MinLSArrival (RFC 2328 13
	// (5.a)): a newer instance of an LSA that arrives sooner after the
	// last one installed by flooding is dropped. Default 1 s (RFC 2328
	// appendix B); tests lower it on an engine that plays the router.
	MinLSArrival time.Duration
	// AckDelay is how long acknowledgements are held to be sent together
	// (RFC 2328 13.5); it must stay below RetransmitInterval.
	AckDelay time.Duration
	// FlushTimeout bounds how long Shutdown waits for the flushed LSAs to
	// be acknowledged.
	FlushTimeout time.Duration
	// DisableSPFNudge turns off the SPF nudge (nudge.go): by default a
	// withdrawal or metric increase also flips a spare bit of the
	// Router-LSA's flags, so that routers run a full SPF.
	DisableSPFNudge bool
	// TTLSecurity is the Generalized TTL Security Mechanism (RFC 5082) on
	// the link: the transport sends every packet with hop limit 255 (the
	// engine does not send), and the engine drops every packet received
	// with a hop limit below 255, which no packet from off the link can
	// carry. Without it, multicast packets are accepted with hop limit 1
	// (RFC 5340 A.1) or 255 (a router sending with GTSM, such as BIRD's
	// `ttl security tx only`).
	TTLSecurity bool
	// TrailerOverhead is how many bytes the transport adds to every packet
	// after the engine built it (the RFC 7166 authentication trailer, see
	// ospf/auth); packets are kept that much smaller than the link MTU
	// allows.
	TrailerOverhead int
	// ServerLoadStep is how far a service's load figure must move before
	// its server load LSA is re-originated (serverload.go); 0 means
	// DefaultServerLoadStep.
	ServerLoadStep float64
	// ServerLoadSettle is the least time between two re-originations of
	// a server load LSA for a load that moved by less than
	// ServerLoadStep (but more than a tenth of it): so that the LSA
	// converges on a settled load instead of keeping a stale one
	// (serverload.go); 0 means DefaultServerLoadSettle.
	ServerLoadSettle time.Duration
}

// The defaults of RFC 2328 appendix C and of anycostd; the configuration
// uses them for its keys.
const (
	DefaultHelloInterval = 10 * time.Second
	// DeadHellos is the default dead interval in hello intervals.
	DeadHellos                = 4
	DefaultRetransmitInterval = 5 * time.Second
	DefaultTransmitDelay      = time.Second
	// DefaultMinLSInterval is the cost model's pacing of changes
	// (costmodel.DefaultMinInterval): above the routers' MinLSArrival.
	DefaultMinLSInterval = costmodel.DefaultMinInterval
	// DefaultMinLSArrival is MinLSArrival of RFC 2328 appendix B.
	DefaultMinLSArrival = time.Second
	DefaultAckDelay     = time.Second
	DefaultFlushTimeout = 5 * time.Second
	DefaultCost         = 10
)

// Defaults fills the zero fields of c with the defaults.
func (c *Config) Defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.HelloInterval, DefaultHelloInterval)
	def(&c.DeadInterval, DeadHellos*c.HelloInterval)
	def(&c.RetransmitInterval, DefaultRetransmitInterval)
	def(&c.TransmitDelay, DefaultTransmitDelay)
	def(&c.MinLSInterval, DefaultMinLSInterval)
	def(&c.MinLSArrival, DefaultMinLSArrival)
	def(&c.AckDelay, DefaultAckDelay)
	def(&c.FlushTimeout, DefaultFlushTimeout)
	if c.Cost == 0 {
		c.Cost = DefaultCost
	}
	if c.ServerLoadStep == 0 {
		c.ServerLoadStep = DefaultServerLoadStep
	}
	def(&c.ServerLoadSettle, DefaultServerLoadSettle)
}

// Validate reports the first setting an instance cannot run with.
func (c *Config) Validate() error {
	switch {
	case c.RouterID == 0:
		return errors.New("router ID 0.0.0.0 is not allowed")
	case c.Link.Index <= 0:
		return fmt.Errorf("interface %q has no index", c.Link.Name)
	case !c.Link.LinkLocal.Is6() || !c.Link.LinkLocal.IsLinkLocalUnicast():
		return fmt.Errorf("interface %q has no IPv6 link-local address", c.Link.Name)
	case c.Link.MTU < 1280:
		return fmt.Errorf("interface %q MTU %d is below the IPv6 minimum 1280", c.Link.Name, c.Link.MTU)
	case c.HelloInterval < time.Second || c.HelloInterval > 65535*time.Second:
		return fmt.Errorf("hello interval %s out of range 1s..65535s", c.HelloInterval)
	case c.DeadInterval <= c.HelloInterval || c.DeadInterval > 65535*time.Second:
		return fmt.Errorf("dead interval %s must exceed the hello interval %s and be at most 65535s", c.DeadInterval, c.HelloInterval)
	case c.HelloInterval%time.Second != 0 || c.DeadInterval%time.Second != 0:
		return errors.New("hello and dead intervals are whole seconds on the wire")
	case c.RetransmitInterval <= 0:
		return errors.New("retransmit interval must be positive")
	case c.AckDelay >= c.RetransmitInterval:
		return fmt.Errorf("ack delay %s must be below the retransmit interval %s", c.AckDelay, c.RetransmitInterval)
	case c.MinLSInterval < 0:
		return errors.New("min LS interval must not be negative")
	case c.MinLSArrival < 0:
		return errors.New("min LS arrival must not be negative")
	case c.TrailerOverhead < 0:
		return fmt.Errorf("trailer overhead %d is negative", c.TrailerOverhead)
	case !(c.ServerLoadStep >= 0 && c.ServerLoadStep <= 1):
		return fmt.Errorf("server load step %v out of range 0..1", c.ServerLoadStep)
	case c.ServerLoadSettle < 0:
		return fmt.Errorf("server load settle %s is negative", c.ServerLoadSettle)
	}
	return nil
}

// Service is one anycast prefix the instance advertises, each in its own
// Intra-Area-Prefix-LSA.
type Service struct {
	Name   string
	Prefix netip.Prefix
	Metric uint16
	// Fallback, when valid and other than Prefix, is a second prefix of
	// the service's Intra-Area-Prefix-LSA, after Prefix, at
	// FallbackMetric (RFC 5340 4.4.3.9: each prefix has its own metric).
	// A farm whose servers have a shorter prefix to fall back on keeps
	// a route to them at the link router while their Prefix comes and goes
	// (docs/sites.md: the dearest tier's prefix beside the /128). It goes
	// with the LSA when the service is withdrawn.
	Fallback       netip.Prefix
	FallbackMetric uint16
	// Withdraw keeps the service known but its prefix out of the LSDB.
	Withdraw bool
	// Drained says a withdrawal is the operator's drain, not a failure;
	// it only changes the state the server load LSA carries.
	Drained bool
	// Capacity is the service's capacity for the router agent (a positive
	// number in a unit shared by the farm: cores, or measured queries/s).
	// With Capacity 0 the instance originates no server load LSA for the
	// service.
	Capacity float64
	// Load is the service's load figure (1.0 saturated), carried by its
	// server load LSA.
	Load float64
}
