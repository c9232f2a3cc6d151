package daemon

import (
	"cmp"
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/linkgraph"
	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/services"
)

// The OSPF services' farm view (docs/cost-model-farm.md): what this
// server's own link-state database says of the other servers advertising
// the same prefixes, read from the instance's snapshot and handed to the
// service manager as an input of the cost models. The engine stays the
// owner of its database; this file only reads copies.

// farmRefresh is how often the view is read again while the database does
// not change, so that a quiet farm's view never looks stale to the cost
// model (costmodel.Params FarmMaxAge, 10 s by default).
const farmRefresh = 2 * time.Second

// lsdbSource is the part of *ospf.Instance the farm view reads.
type lsdbSource interface {
	RawLSDB(ctx context.Context) ([][]byte, error)
	LSDBChanged() <-chan struct{}
}

// farmObserver is the part of *services.Manager the farm view feeds.
type farmObserver interface {
	ObserveFarm(ctx context.Context, views services.FarmViews) error
}

// farmPeers reads, from raw LSAs (each with its current age), the other
// servers of every prefix as the server with router ID self sees them:
//
//  1. The servers of the farm are the routers of the transit link this
//     server is attached to, read with SPF's two-way check (RFC 5340
//     4.8.1, linkgraph.Graph.LinkRouters): those the Network-LSA of the
//     network self's own Router-LSA names lists (A.4.4), each naming the
//     network back in its Router-LSA (or, while a DR change is in flight,
//     the other DR's network of the link). Servers elsewhere in the area
//     do not share this link router's equal-cost set, so they are not
//     peers. Without that Network-LSA (no DR yet, or none left) there
//     are none. A dead DR's Network-LSA, which stays until MaxAge (an
//     hour) listing the servers of its day, is not self's link once
//     self's Router-LSA names the new DR: a server that died since is no
//     peer, though its LSAs stay as long.
//  2. A peer advertises a prefix when a live Intra-Area-Prefix-LSA of its
//     own, referencing its Router-LSA (A.4.10), carries it without the NU
//     bit; the lowest metric counts.
//  3. A peer's server load LSA for the prefix (lsa.ServerLoad) gives its
//     load, capacity and state. A peer with a load LSA and no
//     advertisement is a withdrawn peer whose state says why.
//
// LSAs at MaxAge are being flushed and are ignored; so are bodies that do
// not parse. The cost model checks the numbers (costmodel.FarmView).
func farmPeers(raws [][]byte, self uint32) map[netip.Prefix][]costmodel.Peer {
	ls := liveLSAs(raws, lsa.TypeRouter, lsa.TypeNetwork, lsa.TypeIntraAreaPrefix, lsa.TypeServerLoad)
	onLink := linkgraph.New(ls).LinkRouters(self)
	byPrefix := map[netip.Prefix]map[uint32]*costmodel.Peer{}
	peer := func(p netip.Prefix, rid uint32) *costmodel.Peer {
		m := byPrefix[p]
		if m == nil {
			m = map[uint32]*costmodel.Peer{}
			byPrefix[p] = m
		}
		if m[rid] == nil {
			m[rid] = &costmodel.Peer{RouterID: costmodel.RouterID(rid), Withdrawn: true}
		}
		return m[rid]
	}
	for _, l := range ls {
		rid := l.Header.AdvRouter
		if !onLink[rid] {
			continue
		}
		switch b := l.Body.(type) {
		case *lsa.IntraAreaPrefix:
			if b.RefType != lsa.TypeRouter || b.RefAdvRouter != rid {
				continue
			}
			for _, p := range b.Prefixes {
				if p.Options&lsa.PrefixNU != 0 {
					continue
				}
				pe := peer(p.Prefix.Masked(), rid)
				if pe.Withdrawn || p.Metric < pe.Metric {
					pe.Withdrawn, pe.Metric = false, p.Metric
				}
			}
		case *lsa.ServerLoad:
			if b.State == lsa.ServerAgent {
				continue // a router agent on the link: not a server (farmAgents)
			}
			pe := peer(b.Prefix.Prefix.Masked(), rid)
			pe.LoadKnown, pe.Load, pe.Capacity = true, b.LoadFigure(), b.CapacityFigure()
			pe.State = peerState(b.State)
		}
	}
	out := make(map[netip.Prefix][]costmodel.Peer, len(byPrefix))
	for p, m := range byPrefix {
		peers := make([]costmodel.Peer, 0, len(m))
		for _, pe := range m {
			peers = append(peers, *pe)
		}
		slices.SortFunc(peers, func(a, b costmodel.Peer) int { return cmp.Compare(a.RouterID, b.RouterID) })
		out[p] = peers
	}
	return out
}

// farmAgents reads, from raw LSAs (each with its current age), the router
// agents that weigh each prefix at this server's link router
// (docs/router-agent.md, "Tiers under the agent"): an agent's server load
// LSA of state agent, not at MaxAge, counts while the agent is adjacent
// to a router of the transit link the server with router ID self is on.
// Both are read as SPF reads links, with the two-way check of RFC 5340
// 4.8.1 and RFC 2328 16.1 (2)(b) (linkgraph.Graph):
//
//  1. The link routers are those of the network self's own Router-LSA
//     names by its transit link (the DR self is fully adjacent to, by
//     Neighbor Router ID and Neighbor Interface ID, RFC 5340 A.4.3) whose
//     Network-LSA lists self (A.4.4), each with a transit link of its own
//     to that network.
//  2. An agent is adjacent to a link router when the router names it and
//     the agent names the router back: the router's Network-LSA lists the
//     agent (the router is the DR of the agent's own link, or of the
//     server link the agent is on) and the agent's Router-LSA has the
//     transit link to it, or the two have a point-to-point link between
//     the same interfaces.
//
// The LSAs alone say nothing of liveness: a dead router or agent flushes
// nothing, and its LSAs stay in every database until they reach MaxAge
// (an hour), still naming this server and the agents they named. The two
// ends of a link do not both outlive it. A live router drops a dead
// neighbor when its dead interval runs out and originates its LSAs
// without it. Self's Router-LSA names the DR self is adjacent to now, so
// a dead DR's Network-LSA, though it lists self, is no longer self's link
// (nor is any once no DR is left), and neither is any router it alone
// names. A link router's own stale Network-LSA (of an interface ID it had
// before a restart, until it flushes it, RFC 2328 13.4) is named by no
// Router-LSA of its own. So an agent stops counting once the router it was
// adjacent to has dropped it, or once self's Router-LSA has left that
// router (MinLSInterval after self saw the new DR), whichever died. An
// agent's own LSAs never make it count, nor does a link router's transit
// link naming an agent as the DR: the agent never is (anycostd's runs at
// priority 0, internal/daemon/router.go, and RFC 2328 9.4 elects no
// router of priority 0). A stopped agent flushes its announcements, which
// leave at once. An agent adjacent to a router of another link (another
// farm of the area with the same prefix) does not weigh this server's
// share.
func farmAgents(raws [][]byte, self uint32) map[netip.Prefix][]costmodel.RouterAgent {
	ls := liveLSAs(raws, lsa.TypeNetwork, lsa.TypeRouter, lsa.TypeServerLoad)
	g := linkgraph.New(ls)
	linkRouters := g.LinkRouters(self)
	out := map[netip.Prefix][]costmodel.RouterAgent{}
	for _, l := range ls {
		b, ok := l.Body.(*lsa.ServerLoad)
		if !ok || b.State != lsa.ServerAgent {
			continue
		}
		rid, p := l.Header.AdvRouter, b.Prefix.Prefix.Masked()
		for r := range linkRouters {
			if g.Adjacent(r, rid) {
				out[p] = append(out[p], costmodel.RouterAgent{RouterID: costmodel.RouterID(rid), Prefix: p})
				break
			}
		}
	}
	return out
}

// agentSince keeps, across reads, since when each agent has weighed each
// prefix (costmodel.RouterAgent.Since).
type agentSince map[costmodel.RouterAgent]time.Time

// stamp sets Since in agents read at now and forgets the agents gone.
func (s agentSince) stamp(now time.Time, agents map[netip.Prefix][]costmodel.RouterAgent) {
	seen := map[costmodel.RouterAgent]bool{}
	for _, list := range agents {
		for i := range list {
			k := list[i]
			seen[k] = true
			if _, ok := s[k]; !ok {
				s[k] = now
			}
			list[i].Since = s[k]
		}
	}
	for k := range s {
		if !seen[k] {
			delete(s, k)
		}
	}
}

// liveLSAs parses the raw LSAs of the given types that are not at MaxAge
// (being flushed); those that do not parse are left out.
func liveLSAs(raws [][]byte, types ...lsa.Type) []lsa.LSA {
	var out []lsa.LSA
	for _, raw := range raws {
		h, err := lsa.ParseHeader(raw)
		if err != nil || h.Age >= lsa.MaxAge || !slices.Contains(types, h.Type) {
			continue
		}
		if l, err := lsa.Parse(raw); err == nil {
			out = append(out, l)
		}
	}
	return out
}

// peerState translates a server load LSA's state.
func peerState(s lsa.ServerState) costmodel.PeerState {
	switch s {
	case lsa.ServerAdvertised:
		return costmodel.PeerAdvertised
	case lsa.ServerWithdrawn:
		return costmodel.PeerWithdrawn
	case lsa.ServerDrained:
		return costmodel.PeerDrained
	}
	return costmodel.PeerStateUnknown
}

// peerSince keeps, across reads, since when each peer of each prefix has
// said what it says now (costmodel.Peer.Since).
type peerSince map[netip.Prefix]map[costmodel.RouterID]costmodel.Peer

// stamp sets Since in peers read at now and remembers them.
func (s peerSince) stamp(now time.Time, peers map[netip.Prefix][]costmodel.Peer) {
	for p, list := range peers {
		prev := s[p]
		next := make(map[costmodel.RouterID]costmodel.Peer, len(list))
		for i := range list {
			pe := &list[i]
			pe.Since = now
			if old, ok := prev[pe.RouterID]; ok {
				same := old
				same.Since = now
				if same == *pe {
					pe.Since = old.Since
				}
			}
			next[pe.RouterID] = *pe
		}
		s[p] = next
	}
	for p := range s {
		if _, ok := peers[p]; !ok {
			delete(s, p)
		}
	}
}

// watchFarm hands the manager the OSPF services' farm views, read from
// the instance's database at each change and every farmRefresh, until ctx
// is done.
func watchFarm(ctx context.Context, src lsdbSource, mgr farmObserver, self uint32, now func() time.Time, log *slog.Logger) {
	since := peerSince{}
	agentsSince := agentSince{}
	tick := time.NewTicker(farmRefresh)
	defer tick.Stop()
	for {
		raws, err := src.RawLSDB(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Warn("farm view: cannot read the OSPF database", "err", err)
		} else {
			at := now()
			peers := farmPeers(raws, self)
			since.stamp(at, peers)
			agents := farmAgents(raws, self)
			agentsSince.stamp(at, agents)
			views := services.FarmViews{Mode: config.ModeOSPF, AsOf: at, Self: costmodel.RouterID(self), Peers: peers, Agents: agents}
			if err := mgr.ObserveFarm(ctx, views); err != nil && ctx.Err() == nil {
				log.Warn("farm view: the service manager did not take it", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-src.LSDBChanged():
		case <-tick.C:
		}
	}
}
