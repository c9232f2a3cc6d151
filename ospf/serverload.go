package ospf

import (
	"math"

	"github.com/anycostd/anycostd/lsa"
)

// DefaultServerLoadStep is the default Config.ServerLoadStep: a service's
// server load LSA is re-originated when its load figure has moved by more
// than this since the instance last wanted.
const DefaultServerLoadStep = 0.05

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
// only moves the LSA when it has moved by more than ServerLoadStep since
// the load last wanted; every other field moves it at once. Pacing is the
// same as for every other own LSA (MinLSInterval per LSA).
func (e *engine) originateServerLoad(s *service) {
	key := s.serverLoadKey(e.cfg.RouterID)
	if e.services[s.Name] != s || !(s.Capacity > 0) {
		s.sl.loadWanted = false
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
	if !s.sl.loadWanted || math.Abs(s.Load-s.sl.loadAdv) > e.cfg.ServerLoadStep {
		load = s.Load
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
	// says there is one.
	loadAdv    float64
	loadWanted bool
}
