package sim

import (
	"math"
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// DefaultLoadStep is Config.LoadStep's default: the server load LSA's
// re-origination step of the daemon (ospf.DefaultServerLoadStep).
const DefaultLoadStep = 0.05

// DefaultLoadSettle is Config.LoadSettle's default
// (ospf.DefaultServerLoadSettle).
const DefaultLoadSettle = 5 * time.Second

// loadFollower applies the engine's rule for the load a server load LSA
// carries (ospf/serverload.go): a move past the step at once; a smaller
// one, of more than a tenth of the step, once it has lasted the settle
// time; anything smaller never.
type loadFollower struct {
	off      bool
	offSince time.Duration
}

// carry returns the load the LSA should carry at now, given the load
// figure and what the LSA carries (adv; known false: none yet). The
// caller calls adopted when it originates the LSA with a new load.
func (f *loadFollower) carry(c *Config, now time.Duration, load, adv float64, known bool) float64 {
	d := math.Abs(load - adv)
	switch {
	case !known || d > c.LoadStep:
		return load
	case d <= c.LoadStep/10:
		f.off = false
		return adv
	}
	if !f.off {
		f.off, f.offSince = true, now
	}
	if now-f.offSince >= c.LoadSettle {
		return load
	}
	return adv
}

// adopted says the LSA now carries the load carry returned.
func (f *loadFollower) adopted() { f.off = false }

// loadLSA is the content of a server's server load LSA.
type loadLSA struct {
	known    bool // the server has originated one
	load     float64
	capacity float64
	state    costmodel.PeerState
}

// farmPeer is what a server publishes to its peers through the LSDB: its
// advertisement (the router's view, sv.route, delivered with the same
// delay) and its server load LSA, originated as the daemon does: when the
// load figure has moved by more than Config.LoadStep since the last
// origination (a smaller move once it has lasted Config.LoadSettle:
// loadFollower), or the state has changed, and no sooner than
// Params.MinInterval after the previous one (pacing per LSA); each
// origination reaches the peers after RouteDelay plus the jitter, in order
// with the server's other LSAs.
type farmPeer struct {
	id       costmodel.RouterID
	seen     loadLSA       // what the peers hold now
	wanted   loadLSA       // the latest origination
	lastOrig time.Duration // its time
	origAt   time.Duration // a paced origination is scheduled then (0: none)
	inFlight []timedLSA    // originations on their way to the peers
	follow   loadFollower
}

type timedLSA struct {
	at  time.Duration
	lsa loadLSA
}

// routerID names server i: 192.0.2.(i+1) (192.0.2.0/24 is TEST-NET-1,
// RFC 5737; router IDs are labels).
func routerID(i int) costmodel.RouterID { return costmodel.RouterID(0xc0000201 + uint32(i)) }

// farmOn says whether the servers see each other through a farm view.
func (s *sim) farmOn() bool { return s.cfg.Policy == Anycostd && !s.cfg.NoFarmView }

// startFarm gives every server its router ID and its (empty) published
// state.
func (s *sim) startFarm() {
	for _, sv := range s.servers {
		sv.farm = &farmPeer{id: routerID(sv.index)}
	}
}

// farmView builds server sv's view of its peers from what they published.
func (s *sim) farmView(sv *server) costmodel.FarmView {
	v := costmodel.FarmView{AsOf: wall(s.now), Self: sv.farm.id, Peers: sv.peers[:0]}
	for _, o := range s.servers {
		if o == sv {
			continue
		}
		p := costmodel.Peer{RouterID: o.farm.id, Withdrawn: o.route.Withdrawn, Metric: o.route.Metric}
		if l := o.farm.seen; l.known {
			p.LoadKnown, p.Load, p.Capacity, p.State = true, l.load, l.capacity, l.state
		}
		v.Peers = append(v.Peers, p)
	}
	sv.peers = v.Peers
	return v
}

// originateLoad originates sv's server load LSA if its content moved, or
// schedules the origination for when pacing allows.
func (s *sim) originateLoad(sv *server, d costmodel.Decision) {
	f := sv.farm
	load := sv.model.Load(wall(s.now))
	next := loadLSA{known: true, load: f.wanted.load, capacity: sv.res.Capacity, state: costmodel.PeerAdvertised}
	if d.Withdraw {
		next.state = costmodel.PeerWithdrawn
	}
	next.load = f.follow.carry(&s.cfg, s.now, load, f.wanted.load, f.wanted.known)
	if next == f.wanted {
		return
	}
	if f.wanted.known && s.now < f.lastOrig+s.cfg.Params.MinInterval {
		if f.origAt == 0 {
			f.origAt = f.lastOrig + s.cfg.Params.MinInterval
			s.events.push(event{at: f.origAt, kind: evLoadLSA, srv: int32(sv.index)})
		}
		return
	}
	if next.load != f.wanted.load {
		f.follow.adopted()
	}
	f.wanted, f.lastOrig = next, s.now
	at := s.floodDelay(sv)
	f.inFlight = append(f.inFlight, timedLSA{at, next})
	s.events.push(event{at: at, kind: evPeerLoad, srv: int32(sv.index)})
}

// pacedLoad runs a paced origination, with a fresh decision.
func (s *sim) pacedLoad(sv *server) {
	sv.farm.origAt = 0
	s.decide(sv)
}

// deliverLoad makes sv's oldest load LSA on its way visible to its peers.
func (s *sim) deliverLoad(sv *server) {
	f := sv.farm
	f.seen = f.inFlight[0].lsa
	f.inFlight = f.inFlight[1:]
}

// floodDelay returns when an LSA sv originates now reaches the router and
// the peers: after RouteDelay plus the jitter, not before sv's previous
// LSA (LSAs of one router are flooded and installed in order).
func (s *sim) floodDelay(sv *server) time.Duration {
	at := s.now + s.cfg.RouteDelay
	if s.cfg.RouteJitter > 0 {
		at += expDuration(s.control, s.cfg.RouteJitter.Seconds())
	}
	at = max(at, sv.routeLast)
	sv.routeLast = at
	return at
}

// maxInMinute is the largest number of the sorted times that fall within
// any minute (a window of 60 s, both ends included).
func maxInMinute(times []time.Duration) int {
	best := 0
	for i, j := 0, 0; j < len(times); j++ {
		for times[j]-times[i] > time.Minute {
			i++
		}
		best = max(best, j-i+1)
	}
	return best
}
