package ospf

import (
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// A neighbor found dead by another protocol (the daemon's BFD sessions),
// and what that protocol needs to follow: which neighbors are the DR and
// the BDR.

// evNeighborDown reports a neighbor dead by another protocol's detection.
type evNeighborDown struct {
	addr   netip.Addr
	reason string
}

func (evNeighborDown) eventName() string { return "neighbor-down" }

// NeighborDown reports that the neighbor at link-local address addr is
// dead, as a faster detection than the Hellos found (a BFD session that
// went down, RFC 5882 4.1 and 10.2): the engine takes it as that
// neighbor's inactivity timer firing (RFC 2328 10.2 InactivityTimer, 10.3:
// the neighbor goes Down and is deleted, the DR election runs again, the
// Router-LSA and Network-LSA follow). A live neighbor's next Hello makes
// it anew. reason is logged. An address no neighbor has is ignored.
func (in *Instance) NeighborDown(addr netip.Addr, reason string) error {
	return in.send(evNeighborDown{addr: addr, reason: reason})
}

// neighborDown is NeighborDown on the engine; it reports whether a
// neighbor had the address.
func (e *engine) neighborDown(now time.Time, addr netip.Addr, reason string) bool {
	addr = addr.WithZone("")
	for _, n := range e.nbrList() {
		if n.addr.WithZone("") != addr {
			continue
		}
		e.log.Warn("neighbor dead", "neighbor", lsa.IDString(n.id), "address", addr, "reason", reason)
		e.nbrEvent(now, n, nbrInactivityTimer)
		return true
	}
	e.log.Info("neighbor reported dead is not a neighbor", "address", addr, "reason", reason)
	return false
}

// Designated is the DR and the BDR of the interface as this router
// elected them (RFC 2328 9.4), with the link-local address each one's
// Hellos come from; a zero router ID or an invalid address where there is
// none, or where it is no longer a neighbor.
type Designated struct {
	DR, BDR         uint32
	DRAddr, BDRAddr netip.Addr
}

// designated returns the DR and BDR and their addresses.
func (e *engine) designated() Designated {
	d := Designated{DR: e.dr, BDR: e.bdr}
	if n := e.nbrs[e.dr]; n != nil {
		d.DRAddr = n.addr
	}
	if n := e.nbrs[e.bdr]; n != nil {
		d.BDRAddr = n.addr
	}
	return d
}

// DesignatedChanged receives a value after the DR or the BDR, or the
// address of either, changed (coalesced: one value may stand for many
// changes). Status then has the new values (Interface.DR and BDR, the
// neighbors' addresses). The daemon's BFD sessions follow it.
func (in *Instance) DesignatedChanged() <-chan struct{} { return in.desigChanged }

// noteDesignated signals DesignatedChanged when the engine's DR and BDR
// differ from what was last signalled. Run calls it after every event and
// timer.
func (in *Instance) noteDesignated() {
	d := in.eng.designated()
	if d == in.lastDesig {
		return
	}
	in.lastDesig = d
	select {
	case in.desigChanged <- struct{}{}:
	default:
	}
}
