package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/anycostd/anycostd/agent/weights"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// KernelConfig configures the kernel backend.
type KernelConfig struct {
	// Metric is the route metric (priority) of the agent's routes: below
	// the routing daemon's so that the kernel prefers them (default 10;
	// BIRD's kernel protocol installs at 32 by default).
	Metric int
	// Protocol marks the agent's routes (rtm_protocol, default 201); a
	// start removes any route of this protocol a killed agent left.
	Protocol int
	// Table is the routing table (default main).
	Table int
	// Lease is each route's lifetime in the kernel (RTA_EXPIRES, whole
	// seconds): the agent installs it again every third of the lease
	// (Leaser), and a killed agent's route expires by itself. 0: the
	// routes stay until removed.
	Lease time.Duration
	// Netns is the network namespace file (/proc/1/ns/net, /run/netns/NAME)
	// whose FIB the backend programs; "": the calling thread's.
	Netns string
	Log   *slog.Logger
}

// kernelBackend programs weighted multipath routes over netlink, for BIRD
// or a Linux router with no routing daemon. Unlike zebra the kernel does
// not drop a dead process's routes: Close removes them, each route is
// leased (KernelConfig.Lease: it expires unless the agent installs it
// again), and a new agent removes those a killed one left.
type kernelBackend struct {
	h *netlink.Handle
	// sock sends the routes (routeRequest), in the same namespace as h.
	sock *nl.SocketHandle
	cfg  KernelConfig
	log  *slog.Logger

	mu     sync.Mutex
	routes map[netip.Prefix]Route // installed, at cfg.Metric
}

// NewKernel opens the netlink handle and removes stale routes of the
// agent's protocol.
func NewKernel(c KernelConfig) (Backend, error) {
	if c.Metric == 0 {
		c.Metric = 10
	}
	if c.Protocol == 0 {
		c.Protocol = 201
	}
	if c.Table == 0 {
		c.Table = unix.RT_TABLE_MAIN
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	ns := netns.None()
	if c.Netns != "" {
		var err error
		if ns, err = netns.GetFromPath(c.Netns); err != nil {
			return nil, fmt.Errorf("netlink: network namespace %s: %w", c.Netns, err)
		}
		defer ns.Close()
	}
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	sock, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("netlink: %w", err)
	}
	b := &kernelBackend{h: h, sock: &nl.SocketHandle{Socket: sock}, cfg: c, log: c.Log, routes: map[netip.Prefix]Route{}}
	stale, err := h.RouteListFiltered(netlink.FAMILY_V6, &netlink.Route{Protocol: netlink.RouteProtocol(c.Protocol), Table: c.Table},
		netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	if err != nil {
		b.release()
		return nil, fmt.Errorf("netlink: listing routes: %w", err)
	}
	for _, r := range stale {
		r := r
		if err := h.RouteDel(&r); err != nil && !errors.Is(err, unix.ESRCH) {
			b.log.Warn("cannot remove a stale agent route", "route", r.Dst, "err", err)
		} else {
			b.log.Info("removed a route a previous agent left", "route", r.Dst)
		}
	}
	return b, nil
}

func (b *kernelBackend) route(p netip.Prefix, metric int) *netlink.Route {
	return &netlink.Route{
		Dst:      &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())},
		Priority: metric,
		Protocol: netlink.RouteProtocol(b.cfg.Protocol),
		Table:    b.cfg.Table,
		Family:   netlink.FAMILY_V6,
	}
}

// Set replaces the agent's route for r.Prefix by a multipath route whose
// next hops carry the weights (rtnh_hops = weight-1).
func (b *kernelBackend) Set(r Route) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.install(r, b.cfg.Metric)
}

func (b *kernelBackend) install(r Route, metric int) error {
	for _, h := range r.Nexthops {
		if h.Weight < 1 || h.Weight > weights.MaxKernelWeight {
			return fmt.Errorf("netlink: route %s: weight %d outside 1..%d: %w", r.Prefix, h.Weight, weights.MaxKernelWeight, ErrBadWeight)
		}
	}
	req, err := routeRequest(r, metric, b.cfg.Protocol, b.cfg.Table, b.cfg.Lease)
	if err == nil {
		err = b.execute(req)
	}
	if err != nil {
		return fmt.Errorf("netlink: route %s metric %d: %w", r, metric, err)
	}
	// Its own copy: the caller may reuse the next hops it passed, and
	// SetPreference sends the stored routes again.
	r.Nexthops = slices.Clone(r.Nexthops)
	b.routes[r.Prefix] = r
	return nil
}

func (b *kernelBackend) execute(req *nl.NetlinkRequest) error {
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: b.sock}
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// Lease is each route's lifetime in the kernel (Leaser); 0: none.
func (b *kernelBackend) Lease() time.Duration { return b.cfg.Lease }

// Refresh renews the lease of r, the route Set installed, without
// replacing it: one renewRequest per next hop, each answered EEXIST with
// the entry's expiry set in place. A replace (Set) would do too, but a
// forwarding lookup that runs while the kernel swaps the route's entries
// can come out unreachable (measured on Linux 6.18: about 5 lookups in
// 10 000 replaces, docs/router-agent.md); nothing is swapped here. A next
// hop the kernel no longer had (the route expired, or was removed behind
// the agent's back) was appended by its request: r is then installed again
// whole, so that the route has exactly r's next hops and weights.
func (b *kernelBackend) Refresh(r Route) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cfg.Lease == 0 {
		return nil
	}
	whole := true
	for _, h := range r.Nexthops {
		req, err := renewRequest(r.Prefix, h, b.cfg.Metric, b.cfg.Protocol, b.cfg.Table, b.cfg.Lease)
		if err == nil {
			err = b.execute(req)
		}
		switch {
		case errors.Is(err, unix.EEXIST):
		case err == nil:
			whole = false
		default:
			return fmt.Errorf("netlink: renewing %s via %s: %w", r.Prefix, h.Addr, err)
		}
	}
	if whole {
		return nil
	}
	b.log.Warn("the route was incomplete at its renewal (expired?); installing it again", "route", r)
	return b.install(r, b.cfg.Metric)
}

// Preference is the route metric of the agent's routes.
func (b *kernelBackend) Preference() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cfg.Metric
}

// SetPreference moves every route to metric m. An IPv6 route's metric
// is part of its key in the kernel, so a replace at the new metric adds a
// second route: each route is installed at m first, then removed at the
// old metric (the prefix has the agent's route throughout). A route that
// cannot be installed at m stays at the old metric, and the metric does
// not change.
func (b *kernelBackend) SetPreference(m int) error {
	if m < 1 {
		return fmt.Errorf("netlink: metric %d below 1", m)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.cfg.Metric
	if m == old {
		return nil
	}
	var moved []netip.Prefix
	for p, r := range b.routes {
		if err := b.install(r, m); err != nil {
			// Back to the old metric: remove what moved.
			for _, q := range moved {
				b.h.RouteDel(b.route(q, m))
			}
			return err
		}
		moved = append(moved, p)
	}
	b.cfg.Metric = m
	var errs []error
	for _, p := range moved {
		if err := b.h.RouteDel(b.route(p, old)); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("netlink: remove %s metric %d: %w", p, old, err))
		}
	}
	return errors.Join(errs...)
}

// Remove deletes the agent's route for p.
func (b *kernelBackend) Remove(p netip.Prefix) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.remove(p)
}

func (b *kernelBackend) remove(p netip.Prefix) error {
	if _, ok := b.routes[p]; !ok {
		return nil
	}
	delete(b.routes, p)
	if err := b.h.RouteDel(b.route(p, b.cfg.Metric)); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("netlink: remove %s: %w", p, err)
	}
	return nil
}

// Close removes every route the backend installed.
func (b *kernelBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for p := range b.routes {
		errs = append(errs, b.remove(p))
	}
	b.release()
	return errors.Join(errs...)
}

func (b *kernelBackend) release() {
	b.h.Close()
	b.sock.Socket.Close()
}
