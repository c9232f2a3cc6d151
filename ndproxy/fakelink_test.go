package ndproxy

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mdlayher/ndp"
)

// hub is an in-memory link: every node gets what others send to ff02::1,
// to a group it joined, or to its address. It records every message.
type hub struct {
	mu    sync.Mutex
	nodes []*fakeConn
	log   []sent
}

type sent struct {
	at       time.Time
	from     netip.Addr
	dst      netip.Addr
	b        []byte
	hopLimit int
}

type fakeConn struct {
	h      *hub
	addr   netip.Addr
	mac    net.HardwareAddr
	hop    int // hop limit of what it sends
	groups map[netip.Addr]bool
	in     chan sent
	closed chan struct{}
	once   sync.Once
}

func (h *hub) node(addr string, mac byte) *fakeConn {
	c := &fakeConn{
		h:      h,
		addr:   netip.MustParseAddr(addr),
		mac:    net.HardwareAddr{0x02, 0, 0, 0, 0, mac},
		hop:    255,
		groups: map[netip.Addr]bool{netip.IPv6LinkLocalAllNodes(): true},
		in:     make(chan sent, 1024),
		closed: make(chan struct{}),
	}
	h.mu.Lock()
	h.nodes = append(h.nodes, c)
	h.mu.Unlock()
	return c
}

// raw sends b as node c, as it is.
func (c *fakeConn) raw(b []byte, dst netip.Addr, hop int) {
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	m := sent{at: time.Now(), from: c.addr, dst: dst, b: b, hopLimit: hop}
	h.log = append(h.log, m)
	for _, n := range h.nodes {
		if n == c {
			continue
		}
		if dst.IsMulticast() && !n.groups[dst] || !dst.IsMulticast() && dst != n.addr {
			continue
		}
		select {
		case n.in <- m:
		default:
		}
	}
}

func (c *fakeConn) ReadFrom(b []byte) (int, int, netip.Addr, netip.Addr, error) {
	select {
	case m := <-c.in:
		return copy(b, m.b), m.hopLimit, m.from, m.dst, nil
	case <-c.closed:
		return 0, 0, netip.Addr{}, netip.Addr{}, net.ErrClosed
	}
}

func (c *fakeConn) WriteTo(m ndp.Message, dst netip.Addr) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	b, err := ndp.MarshalMessage(m)
	if err != nil {
		return err
	}
	c.raw(b, dst, c.hop)
	return nil
}

func (c *fakeConn) JoinGroup(g netip.Addr) error {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	c.groups[g] = true
	return nil
}

func (c *fakeConn) LeaveGroup(g netip.Addr) error {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	if !c.groups[g] {
		return errors.New("not joined")
	}
	delete(c.groups, g)
	return nil
}

func (c *fakeConn) Addr() netip.Addr               { return c.addr }
func (c *fakeConn) HardwareAddr() net.HardwareAddr { return c.mac }
func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// messages returns what was sent on the link, parsed, from node from
// (invalid address: anyone).
func (h *hub) messages(from netip.Addr) []struct {
	at time.Time
	r  Received
} {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []struct {
		at time.Time
		r  Received
	}
	for _, m := range h.log {
		if from.IsValid() && m.from != from {
			continue
		}
		if r, err := ParseReceived(m.b, m.hopLimit, m.from, m.dst); err == nil {
			out = append(out, struct {
				at time.Time
				r  Received
			}{m.at, r})
		}
	}
	return out
}

// fakeCounter is a query counter the test feeds.
type fakeCounter struct {
	mu sync.Mutex
	n  uint64
}

func (c *fakeCounter) add(n uint64) {
	c.mu.Lock()
	c.n += n
	c.mu.Unlock()
}

func (c *fakeCounter) Count() (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = 0
	return n, nil
}

func (c *fakeCounter) Close() error { return nil }
