package ospf

import (
	"math"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// DefaultServerLoadStep is the default Config.ServerLoadStep: a service's
// server load LSA is re-originated when its load figure has moved by more
// than this since the instance last wanted.
const DefaultServerLoadStep = 0.05

// DefaultServerLoadSettle is the default Config.ServerLoadSettle.
const DefaultServerLoadSettle = 5 * time.Second

// serverLoadResolution is how far, as a fraction of ServerLoadStep, a
// settled load figure may stay from the one on the wire: a smaller
// difference is noise and never re-originates the LSA.
const serverLoadResolution = 0.1

// serverLoadKey is the key of a service's server load LSA: the same Link
// State ID as its Intra-Area-Prefix-LSA, so it is stable per service and
// the router agent can pair the two.
func (s *service) serverLoadKey(rid uint32) lsa.Key {
	return lsa.Key{Type: lsa.TypeServerLoad, ID: s.lsid, AdvRouter: rid}
}

// originateServerLoad wants the service's server load LSA
// (lsa.ServerLoad), or its flush when the service is gone from the set or
// has no capacity. A withdrawn or drained service keeps its LSA with that
// state: the router agent learns the withdrawal from the
// Intra-Area-Prefix-LSA's flush, which leaves at the same time and on its
// own pacing, and keeps the server's capacity for its return. The load
// moves the LSA at once when it has moved by more than ServerLoadStep
// since the load last wanted; a smaller move, of more than a tenth of the
// step, goes out once the load has stayed that far off for
// ServerLoadSettle (serverLoadSettled). The step keeps
// a moving load from re-originating the LSA at every small change; the
// settle keeps a stale figure from staying on the wire for good (a load
// that fell from 0.08 to 0.04 would otherwise stay 0.08 until it moved by
// the step again, and the router agent would weigh the server by a load
// it no longer has). Every
// other field moves it at once. Pacing is the same as for every other own
// LSA (MinLSInterval per LSA).
func (e *engine) originateServerLoad(now time.Time, s *service) {
	key := s.serverLoadKey(e.cfg.RouterID)
	if e.services[s.Name] != s || !(s.Capacity > 0) {
		s.sl = serverLoadState{}
		e.want(key, nil)
		return
	}
	state := lsa.ServerAdvertised
	var metric uint16
	switch {
	case s.Withdraw && s.Drained:
		state = lsa.ServerDrained
	case s.Withdraw:
		state = lsa.ServerWithdrawn
	default:
		metric = s.Metric
	}
	load := s.sl.loadAdv
	if !s.sl.loadWanted || math.Abs(s.Load-s.sl.loadAdv) > e.cfg.ServerLoadStep || e.serverLoadSettled(now, s) {
		load = s.Load
	}
	switch {
	case math.Abs(s.Load-load) <= serverLoadResolution*e.cfg.ServerLoadStep:
		s.sl.offSince = time.Time{}
	case s.sl.offSince.IsZero():
		s.sl.offSince = now
	}
	body := &lsa.ServerLoad{
		State:    state,
		Load:     lsa.EncodeLoad(load),
		Capacity: lsa.EncodeCapacity(s.Capacity),
		NextHop:  e.cfg.Link.LinkLocal.WithZone(""),
		Prefix:   lsa.Prefix{Prefix: s.Prefix.Masked(), Metric: metric},
	}
	s.sl.loadAdv, s.sl.loadWanted = load, true
	e.want(key, body)
}

// serverLoadState is what the engine keeps of a service's server load LSA.
type serverLoadState struct {
	// loadAdv is the load figure of the content last wanted; loadWanted
	// says there is one. offSince is when the service's load last went
	// off loadAdv by more than the resolution (zero while it is not).
	loadAdv    float64
	loadWanted bool
	offSince   time.Time
}

// serverLoadSettleAt is when s's load, off the wanted one by more than
// the resolution but within the step, is due to go out; zero when it is
// not off.
func (e *engine) serverLoadSettleAt(s *service) time.Time {
	if !s.sl.loadWanted || s.sl.offSince.IsZero() {
		return time.Time{}
	}
	return s.sl.offSince.Add(e.cfg.ServerLoadSettle)
}

// serverLoadSettled reports whether s's load is due to go out by the
// settle rule at now.
func (e *engine) serverLoadSettled(now time.Time, s *service) bool {
	at := e.serverLoadSettleAt(s)
	return !at.IsZero() && !now.Before(at)
}

// settleServerLoads wants the server load LSA of every service whose
// load is due by the settle rule (none during a shutdown, which flushes
// them).
func (e *engine) settleServerLoads(now time.Time) {
	if e.shutdown.active {
		return
	}
	for _, s := range e.services {
		if e.serverLoadSettled(now, s) {
			e.originateServerLoad(now, s)
		}
	}
}
