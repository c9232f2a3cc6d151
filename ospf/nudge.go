package ospf

import (
	"github.com/anycostd/anycostd/lsa"
)

// The SPF nudge works around a route-removal bug of FRR's ospf6d (seen
// with 8.4.4, the lab's router): when an Intra-Area-Prefix-LSA disappears
// or its metric rises, ospf6d removes the path from an ECMP route
// incrementally, and for the path that created the route entry it keeps
// the path's next hop in the route (and the kernel FIB) until the next
// full SPF. The withdrawn server then goes on receiving queries.
//
// A full SPF runs whenever a Router-LSA's body changes. So with every
// withdrawal or metric increase of a service, the instance flips the
// x bit of its Router-LSA flags (RFC 5340 A.4.3: the former W bit,
// unused), which changes no path but makes every router recompute, in
// the same update as the service's LSA. Routers without the bug (BIRD,
// newer FRR) just run one more SPF. Config.DisableSPFNudge turns it off.
//
// (An empty Router-LSA fragment toggled in and out was tried first: FRR
// 8.4 then left the server out of its SPF while the flushed fragment
// lingered at MaxAge, so re-advertised prefixes did not come back.)

// nudgeSPF flips the x bit and re-originates the Router-LSA. urgent: the
// nudge goes with a withdrawal, and like it is not held by pacing
// (early.go).
func (e *engine) nudgeSPF(urgent bool) {
	if e.cfg.DisableSPFNudge || e.shutdown.active {
		return
	}
	e.nudgeBit = !e.nudgeBit
	e.originateRouter()
	if o := e.own[lsa.Key{Type: lsa.TypeRouter, ID: 0, AdvRouter: e.cfg.RouterID}]; o != nil && urgent {
		o.nudged = true
	}
}

// needsNudge reports whether replacing the instance raw with body (nil:
// flushing it) withdraws a prefix or raises its metric.
func needsNudge(raw []byte, body lsa.Body) bool {
	old, err := lsa.Parse(raw)
	if err != nil {
		return false
	}
	oldIAP, ok := old.Body.(*lsa.IntraAreaPrefix)
	if !ok {
		return false
	}
	newIAP, _ := body.(*lsa.IntraAreaPrefix)
	for _, op := range oldIAP.Prefixes {
		if newIAP == nil {
			return true
		}
		found := false
		for _, np := range newIAP.Prefixes {
			if np.Prefix == op.Prefix {
				found = true
				if np.Metric > op.Metric {
					return true
				}
			}
		}
		if !found {
			return true
		}
	}
	return false
}
