package agent

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/agent/weights"
	"github.com/osrg/gobgp/v4/pkg/zebra"
)

// ZebraConfig configures the zebra backend.
type ZebraConfig struct {
	// Socket is zebra's ZAPI socket (FRR's default
	// /var/run/frr/zserv.api).
	Socket string
	// Distance is the administrative distance of the agent's routes:
	// below OSPF's 110 so that zebra prefers them (default 100).
	Distance uint8
	// RouteType is the route type the agent's routes carry in zebra and
	// the kernel (default "sharp", see NewZebra).
	RouteType string
	Log       *slog.Logger
}

// ErrZebraClosed: the ZAPI connection is gone (zebra restarted, or Close).
var ErrZebraClosed = errors.New("agent: zebra connection closed")

// ErrBadWeight: a next hop's weight is outside what the backend takes.
var ErrBadWeight = errors.New("agent: weight out of range")

// zebraBackend programs routes through FRR's zebra with gobgp's ZAPI
// client (FRR 8 speaks ZAPI 6). Zebra drops a client's routes when its
// connection closes, so OSPF's route is back by itself when the agent
// exits or dies.
type zebraBackend struct {
	cli      *zebra.Client
	typ      zebra.RouteType
	distance uint8
	relay    *zapiRelay
	log      *slog.Logger

	lost chan struct{} // closed when the connection is gone

	mu     sync.Mutex
	routes map[netip.Prefix]Route // what zebra holds of ours
	closed bool
}

// zapiSoftware is the zebra gobgp's client speaks to: FRR 8.4 (Debian
// 12's 8.4.4), ZAPI 6. gobgp v4.8.0 encodes everything the agent sends
// the same for "frr8.2" and "frr8.4" (its version tests are at 8.2 and
// below, TestZAPISoftwareEncodesAlike); it decodes the interface messages
// zebra sends every client with FRR 8.3's 16-byte interface names only
// for 8.3 and later (interfaceUpdateBody.decodeFromBytes). As "frr8.2"
// the agent had each interface message of FRR 8.4 misread, 4 bytes off,
// and logged as a decode failure (TestZAPIInterfaceFromFRR84).
const zapiSoftware = "frr8.4"

// zebraHandshakeTimeout bounds NewZebra's handshake with zebra.
const zebraHandshakeTimeout = 10 * time.Second

// NewZebra connects to zebra. The route type is not "bgp" (the ZAPI
// client of the field tests): zebra removes every route of a client's
// type and instance when that client goes (FRR 8.4 zserv.c, client close),
// so an agent registered as bgp would take bgpd's routes with it on exit.
// "sharp" is FRR's test daemon, not run on production routers.
func NewZebra(c ZebraConfig) (Backend, error) {
	if c.Socket == "" {
		c.Socket = "/var/run/frr/zserv.api"
	}
	if c.Distance == 0 {
		c.Distance = 100
	}
	if c.RouteType == "" {
		c.RouteType = "sharp"
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	const zapiVersion = 6
	software := zebra.NewSoftware(zapiVersion, zapiSoftware)
	typ, err := zebra.RouteTypeFromString(c.RouteType, zapiVersion, software)
	if err != nil {
		return nil, fmt.Errorf("zebra route type %q: %w", c.RouteType, err)
	}
	relay, err := newZAPIRelay(c.Socket)
	if err != nil {
		return nil, fmt.Errorf("zebra at %s: %w", c.Socket, err)
	}
	// gobgp's NewClient blocks for ever when zebra drops the connection
	// during its handshake (its send queue is no longer read): bounded.
	type result struct {
		cli *zebra.Client
		err error
	}
	res := make(chan result, 1)
	go func() {
		log := slog.New(newZAPILogHandler(c.Log.Handler())).With("backend", "zebra")
		cli, err := zebra.NewClient(log, "unix", relay.path, typ, zapiVersion, software, 0)
		res <- result{cli, err}
	}()
	var cli *zebra.Client
	select {
	case r := <-res:
		cli, err = r.cli, r.err
	case <-time.After(zebraHandshakeTimeout):
		err = fmt.Errorf("no handshake within %v", zebraHandshakeTimeout)
	}
	if err != nil {
		relay.close()
		return nil, fmt.Errorf("zebra at %s: %w", c.Socket, err)
	}
	relay.unlink()
	b := &zebraBackend{cli: cli, typ: typ, distance: c.Distance, relay: relay, log: c.Log, routes: map[netip.Prefix]Route{}, lost: make(chan struct{})}
	go b.drain()
	return b, nil
}

// drain reads what zebra sends (router ID and interface updates) until
// the connection closes.
func (b *zebraBackend) drain() {
	for range b.cli.Receive() {
	}
	defer close(b.lost)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		b.log.Warn("zebra connection lost")
	}
}

// Lost is closed when the connection to zebra is gone (zebra restarted
// and dropped the agent's routes, or Close).
func (b *zebraBackend) Lost() <-chan struct{} { return b.lost }

func (b *zebraBackend) body(p netip.Prefix) *zebra.IPRouteBody {
	return &zebra.IPRouteBody{
		Type:     b.typ,
		Safi:     zebra.SafiUnicast,
		Message:  zebra.MessageNexthop | zebra.MessageDistance,
		Prefix:   zebra.Prefix{Family: zebraFamily(p), PrefixLen: uint8(p.Bits()), Prefix: p.Addr()},
		Distance: b.distance,
	}
}

func zebraFamily(p netip.Prefix) uint8 {
	if p.Addr().Is4() {
		return syscall.AF_INET
	}
	return syscall.AF_INET6
}

// Set sends the route; each next hop is a link-local gateway on its
// interface (zebra infers NEXTHOP_TYPE_IPV6_IFINDEX from Gate and Ifindex).
func (b *zebraBackend) Set(r Route) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrZebraClosed
	}
	return b.send(r)
}

func (b *zebraBackend) send(r Route) error {
	body := b.body(r.Prefix)
	for _, h := range r.Nexthops {
		if h.Weight < 1 || h.Weight > weights.MaxZebraWeight {
			return fmt.Errorf("zebra: route %s: weight %d outside 1..%d: %w", r.Prefix, h.Weight, weights.MaxZebraWeight, ErrBadWeight)
		}
		body.Nexthops = append(body.Nexthops, zebra.Nexthop{Gate: h.Addr.WithZone(""), Ifindex: uint32(h.Ifindex), Weight: uint32(h.Weight)})
	}
	if err := b.cli.SendIPRoute(0, body, false); err != nil {
		return fmt.Errorf("zebra: route %s: %w", r.Prefix, err)
	}
	// Its own copy: the caller may reuse the next hops it passed, and
	// SetPreference sends the stored routes again.
	r.Nexthops = slices.Clone(r.Nexthops)
	b.routes[r.Prefix] = r
	return nil
}

// Preference is the administrative distance of the agent's routes.
func (b *zebraBackend) Preference() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return int(b.distance)
}

// SetPreference sends every route again with administrative distance d.
// Zebra replaces a client's route of the same type and instance in place
// whatever its distance (FRR 8.4 zebra/zebra_rib.c rib_compare_routes and
// process_subq_early_route_add: the distance counts only for a route
// flagged ZEBRA_FLAG_RR_USE_DISTANCE, which staticd sets and the agent
// does not), so the prefix never has two routes of the agent's, and the
// route is never absent in between.
func (b *zebraBackend) SetPreference(d int) error {
	if d < 1 || d > 255 {
		return fmt.Errorf("zebra: distance %d outside 1..255", d)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrZebraClosed
	}
	b.distance = uint8(d)
	var errs []error
	for _, r := range b.routes {
		errs = append(errs, b.send(r))
	}
	return errors.Join(errs...)
}

// Remove withdraws the agent's route for p.
func (b *zebraBackend) Remove(p netip.Prefix) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrZebraClosed
	}
	if _, ok := b.routes[p]; !ok {
		return nil
	}
	delete(b.routes, p)
	if err := b.cli.SendIPRoute(0, b.body(p), true); err != nil {
		return fmt.Errorf("zebra: withdraw %s: %w", p, err)
	}
	return nil
}

// Close withdraws every route and closes the connection. It is the close
// that removes the routes: zebra drops a client's routes when its
// connection closes. The withdrawals hardly ever reach zebra: gobgp's
// client hands them to its writer goroutine and returns, and the relay
// closes before the writer has passed them on (against the fake zebra of
// TestZebraBackendFakeZebra, 0 of 100 runs saw the withdrawal; the
// writer's "broken pipe" is one of the records zapiLogHandler demotes).
func (b *zebraBackend) Close() error {
	b.mu.Lock()
	if !b.closed {
		for p := range b.routes {
			_ = b.cli.SendIPRoute(0, b.body(p), true)
		}
		b.routes = map[netip.Prefix]Route{}
		b.closed = true
	}
	b.mu.Unlock()
	return b.relay.close()
}

// zapiRelay works around gobgp v4.8.0's zebra.Client having no exported
// Close: the client dials a private socket of ours, and we splice that
// connection to zebra's. Closing our ends closes the client's connection
// to zebra, which then drops the agent's routes. (Rejected: leaving the
// connection open until the process exits, which Close could not honour;
// closing the client's file descriptor behind its back.)
type zapiRelay struct {
	path string
	dir  string
	ln   net.Listener

	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

// newZAPIRelay dials zebra at zserv, then listens on a private socket for
// the client. zebra is dialled first: a client that reached the relay while zebra
// cannot be reached would have its first messages fail, and gobgp's
// zebra.NewClient then blocks for ever on its send queue (a unit test
// without zebra hung in it for 17 minutes, in one run of many).
func newZAPIRelay(zserv string) (*zapiRelay, error) {
	out, err := net.Dial("unix", zserv)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "anycostd-zapi-")
	if err != nil {
		out.Close()
		return nil, err
	}
	r := &zapiRelay{dir: dir, path: filepath.Join(dir, "zapi"), done: make(chan struct{})}
	r.ln, err = net.Listen("unix", r.path)
	if err != nil {
		out.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	r.mu.Lock()
	r.conns = append(r.conns, out)
	r.mu.Unlock()
	go func() {
		defer close(r.done)
		in, err := r.ln.Accept()
		if err != nil {
			out.Close()
			return
		}
		r.mu.Lock()
		r.conns = append(r.conns, in)
		r.mu.Unlock()
		go func() { io.Copy(out, in); out.Close() }()
		io.Copy(in, out)
		in.Close()
	}()
	return r, nil
}

// unlink removes the private socket once the client is connected.
func (r *zapiRelay) unlink() {
	r.ln.Close()
	os.RemoveAll(r.dir)
}

func (r *zapiRelay) close() error {
	r.ln.Close()
	r.mu.Lock()
	for _, c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	<-r.done
	return os.RemoveAll(r.dir)
}
