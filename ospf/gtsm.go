package ospf

import (
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// TTL security (GTSM, RFC 5082) on the link. With Config.TTLSecurity the
// transport sends with hop limit 255 and receive drops everything below.
// Without it, a router that sends with hop limit 255 is still heard
// (receive accepts multicast with hop limit 1 or 255): enough for a router
// that only sends so (BIRD `ttl security tx only`), but a router that also
// requires 255 (BIRD `ttl security yes`) silently drops our Hellos, sent
// with hop limit 1, and never lists us. That case is recognised here, so
// that the status and the log say what is wrong instead of showing a
// neighbor stuck in Init.

// gtsmSuspect reports whether n looks like a router that requires GTSM
// while we do not use it: it sends with hop limit 255 and has not listed
// us for a dead interval (it would have, had it heard our Hellos).
func (e *engine) gtsmSuspect(now time.Time, n *neighbor) bool {
	return !e.cfg.TTLSecurity && n.hopLimit == gtsmHopLimit && n.state == nbrInit &&
		now.Sub(n.since) >= e.cfg.DeadInterval
}

// gtsmNote is the status note for a neighbor gtsmSuspect reports.
const gtsmNote = "sends with hop limit 255 (TTL security, RFC 5082) and does not list us: " +
	"it probably drops our packets, sent with hop limit 1; turn TTL security on here too"

// checkGTSM logs, once per neighbor, that n looks like it requires GTSM.
func (e *engine) checkGTSM(now time.Time, n *neighbor) {
	if n.gtsmWarned || !e.gtsmSuspect(now, n) {
		return
	}
	n.gtsmWarned = true
	e.log.Warn("neighbor "+gtsmNote, "neighbor", lsa.IDString(n.id), "src", n.addr,
		"init_for", now.Sub(n.since))
}
