package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf"
)

// BFD with the OSPF neighbors ([ospf.bfd]): the daemon glues the BFD
// speaker (package bfd) to the OSPF instance, which know nothing of each
// other.
//   - The sessions follow the neighbors that are the DR or the BDR
//     (ospf.Instance.DesignatedChanged, then its Status).
//   - A session that fails (Up to Down, not by the peer's AdminDown) takes
//     that neighbor down as if its dead interval had expired
//     (ospf.Instance.NeighborDown; RFC 5882 4.1).
//   - On a planned stop the instance flushes first (the drain before it
//     withdrew every service), then the sessions say AdminDown (RFC 5880
//     6.8.16): FRR 8.4.4 and BIRD 2.0.12 take an AdminDown as a failure
//     and drop the adjacency at once (bfd.Speaker.Shutdown), which must
//     not come before the withdrawal.
//
// The bfd engine logs every state change (one line each); the OSPF
// engine logs the neighbor it takes down.

// bfdSpeaker is the part of *bfd.Speaker the daemon uses; tests use a
// fake.
type bfdSpeaker interface {
	Run(ctx context.Context) error
	SetPeers(peers []netip.Addr) error
	Shutdown() error
	Events() <-chan bfd.Event
	Status(ctx context.Context) (bfd.Status, error)
}

// newBFDFunc opens the BFD speaker on link; the closer releases its
// socket when the daemon fails to start before Run.
type newBFDFunc func(cfg bfd.Config, link netif.Link, log *slog.Logger) (bfdSpeaker, io.Closer, error)

// newBFD opens the real speaker: UDP port 3784 on the link-local address
// the OSPF instance speaks from (the address the router knows us by).
func newBFD(cfg bfd.Config, link netif.Link, log *slog.Logger) (bfdSpeaker, io.Closer, error) {
	tr, err := bfd.ListenUDP(link.Name, link.LinkLocal)
	if err != nil {
		return nil, nil, err
	}
	sp, err := bfd.New(cfg, tr, nil, log)
	if err != nil {
		tr.Close()
		return nil, nil, err
	}
	return sp, tr, nil
}

// bfdConfig is the speaker's configuration: [ospf.bfd] on the OSPF
// interface.
func bfdConfig(c *config.BFD, ifname string) bfd.Config {
	return bfd.Config{
		Interface:     ifname,
		DesiredMinTx:  c.Interval,
		RequiredMinRx: c.Interval,
		Multiplier:    c.Multiplier,
	}
}

// bfdStopBound bounds the AdminDown sessions send at a planned stop (for
// the peer's detection time of us: 150 ms at 50 ms x 3, 900 ms with FRR's
// default 300 ms x 3; a session that was not Up sends one packet). Past
// it the speaker is cut short.
const bfdStopBound = 5 * time.Second

// ospfNeighbors is what the glue needs of the OSPF instance.
type ospfNeighbors interface {
	Status(ctx context.Context) (ospf.Status, error)
	NeighborDown(addr netip.Addr, reason string) error
	DesignatedChanged() <-chan struct{}
}

// bfdGlue runs the BFD speaker beside the OSPF instance.
type bfdGlue struct {
	sp  bfdSpeaker
	in  ospfNeighbors
	log *slog.Logger
	// done is closed when run has returned; stopped after Shutdown.
	done    chan struct{}
	stopped chan struct{}
}

func newBFDGlue(sp bfdSpeaker, in ospfNeighbors, log *slog.Logger) *bfdGlue {
	return &bfdGlue{sp: sp, in: in, log: log, done: make(chan struct{}), stopped: make(chan struct{})}
}

// run runs the speaker until ctx is done or, after stop, its sessions
// have said AdminDown: it hands the speaker the DR and BDR as peers
// whenever they change, and takes down the neighbor of every session that
// fails.
func (g *bfdGlue) run(ctx context.Context) error {
	defer close(g.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- g.sp.Run(ctx) }()
	g.follow(ctx)
	events := g.sp.Events()
	for {
		select {
		case <-g.in.DesignatedChanged():
			g.follow(ctx)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			g.event(ev)
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return fmt.Errorf("BFD speaker: %w", err)
			}
			return nil
		}
	}
}

// follow hands the speaker the neighbors that are now the DR or the BDR.
func (g *bfdGlue) follow(ctx context.Context) {
	select {
	case <-g.stopped:
		return // the sessions are saying AdminDown; the instance has stopped
	default:
	}
	st, err := g.in.Status(ctx)
	if err != nil {
		if !errors.Is(err, ospf.ErrStopped) && ctx.Err() == nil {
			g.log.Warn("bfd: cannot read the OSPF neighbors", "err", err)
		}
		return
	}
	if err := g.sp.SetPeers(bfdPeers(&st)); err != nil && !errors.Is(err, bfd.ErrStopped) {
		g.log.Error("bfd: cannot set the sessions' peers", "err", err)
	}
}

// event acts on one state change: a failure takes the neighbor down.
func (g *bfdGlue) event(ev bfd.Event) {
	if !ev.Failure() {
		return
	}
	reason := "bfd session down: " + ev.Diag.String()
	if err := g.in.NeighborDown(ev.Peer, reason); err != nil && !errors.Is(err, ospf.ErrStopped) {
		g.log.Error("bfd: cannot take the neighbor down", "peer", ev.Peer, "err", err)
	}
}

// stop makes every session say AdminDown, then waits (bounded by
// bfdStopBound) for the speaker to finish; cancel cuts it short.
func (g *bfdGlue) stop(cancel context.CancelFunc) {
	close(g.stopped)
	if err := g.sp.Shutdown(); err != nil {
		cancel()
		<-g.done
		return
	}
	select {
	case <-g.done:
	case <-time.After(bfdStopBound):
		g.log.Warn("bfd: sessions still saying AdminDown; stopped without waiting further", "bound", bfdStopBound)
		cancel()
		<-g.done
	}
}

// bfdPeers are the link-local addresses of the neighbors of st that are
// the DR or the BDR, as this router elected them.
func bfdPeers(st *ospf.Status) []netip.Addr {
	var peers []netip.Addr
	for _, n := range st.Neighbors {
		if n.RouterID != st.Interface.DR && n.RouterID != st.Interface.BDR {
			continue
		}
		if a, err := netip.ParseAddr(n.Address); err == nil && a.IsLinkLocalUnicast() {
			peers = append(peers, a.WithZone(""))
		}
	}
	return peers
}
