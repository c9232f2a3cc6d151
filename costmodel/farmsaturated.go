package costmodel

import (
	"fmt"
	"strings"
)

// A farm saturated as a whole climbs. The rules that keep a server in the
// cheapest tier (upCheck: the others must absorb it, the last server never
// leaves) protect the farm's own balance: inside one farm a climb only
// moves traffic onto the servers left. When every server of the farm is
// offered at least its capacity there is nothing left to protect: no
// server can take more, and holding the farm in the cheapest tier only
// keeps its metric (its summary, its tier prefix) the cheapest in the
// routing domain, so a core never sends the queries to another site that
// has room (docs/sites.md, docs/cost-model-farm.md). So a saturated farm's
// servers climb like servers without a farm view, still one per stagger
// slot, and the site's cheapest tier rises with them.

// saturated reports whether the farm is saturated as a whole, and says so:
//
//  1. every server of the cheapest tier publishes its load and is
//     overloaded (load at tier[0].up or above: offered at least its
//     capacity): this server now (its own load is what asks for the
//     move), every peer throughout the headroom window (its lowest load
//     within the window at tier[0].up or above). A farm that runs at its
//     capacity sees its servers' congestion figures swing across the
//     threshold; a climb there would only pour one server's traffic onto
//     the others for a few slots (the simulator's 4 x 1 farm at load 1.0
//     lost 1.5 points when the current load decided). Saturation that
//     lasts the window is what a site must hand to another.
//  2. every other server the router sees advertising the prefix at a
//     dearer metric, drained ones aside, publishes its load and was
//     overloaded within the headroom window (its peak load at tier[0].up
//     or above). Such a server gets no traffic, so its load now says
//     nothing of the farm; one that climbed under load moments ago (the
//     servers of a saturated farm climb one slot after another) counts as
//     overloaded, while one that has idled above the tier for the whole
//     window has room: it joins the tier (joinCheck) instead of the
//     others leaving it.
//
// A server without load information, or with room, keeps the protection
// as before.
func (f *farmCalc) saturated() (bool, string) {
	if !f.active || len(f.members) == 0 {
		return false, ""
	}
	for _, fm := range f.members {
		if !f.overloaded(fm) || fm.low < f.up {
			return false, ""
		}
	}
	for _, fm := range f.above {
		if !fm.known || fm.peak < f.up {
			return false, ""
		}
	}
	var above string
	if len(f.above) > 0 {
		ids := make([]string, len(f.above))
		for i, fm := range f.above {
			ids[i] = fm.id.String()
		}
		above = fmt.Sprintf("; the %d above it (%s) were overloaded within the window", len(f.above), strings.Join(ids, ", "))
	}
	return true, fmt.Sprintf("the farm is saturated: all %d at metric %d are overloaded (load at tier[0].up %g or above, the peers throughout the window)%s: it climbs so that the routing domain can send its traffic elsewhere",
		len(f.members), f.cheapest, f.up, above)
}
