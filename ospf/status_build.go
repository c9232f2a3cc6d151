package ospf

import (
	"fmt"
	"sort"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// status builds the snapshot the control socket serves.
func (e *engine) status(now time.Time) Status {
	s := Status{
		RouterID: lsa.IDString(e.cfg.RouterID),
		Area:     lsa.IDString(e.cfg.AreaID),
		Interface: InterfaceStatus{
			Name:        e.cfg.Link.Name,
			Index:       e.cfg.Link.Index,
			InterfaceID: uint32(e.cfg.Link.Index),
			State:       e.ifState.String(),
			LinkLocal:   e.cfg.Link.LinkLocal.String(),
			MTU:         e.cfg.Link.MTU,
			Cost:        e.cfg.Cost,
			DR:          lsa.IDString(e.dr),
			BDR:         lsa.IDString(e.bdr),
			HelloSec:    int(e.cfg.HelloInterval / time.Second),
			DeadSec:     int(e.cfg.DeadInterval / time.Second),
		},
		Neighbors: []NeighborStatus{},
		Services:  []ServiceStatus{},
		Counters:  e.cnt.snapshot(),
	}
	if !e.linkUp {
		s.Interface.State = "Down (link down)"
	}
	for _, n := range e.nbrList() {
		ns := n.status(now)
		if ab := e.arrival[n.id]; ab != nil && ab.max > 0 {
			ns.MinLSArrivalMax, ns.LearnedAt = ab.max, ab.at
		}
		if e.gtsmSuspect(now, n) {
			ns.Note = gtsmNote
		}
		s.Neighbors = append(s.Neighbors, ns)
	}
	w, learned := e.routerWindow()
	s.Pacing = PacingStatus{
		MinLSInterval:      e.cfg.MinLSInterval,
		RouterMinLSArrival: w,
		Learned:            learned,
		WithdrawWithin:     e.resendDelay(),
	}
	for _, sv := range e.services {
		k := sv.key(e.cfg.RouterID)
		ss := ServiceStatus{
			Name:       sv.Name,
			Prefix:     sv.Prefix.String(),
			Wanted:     !sv.Withdraw,
			WantMetric: sv.Metric,
			LSID:       lsa.IDString(sv.lsid),
		}
		if fb, ok := sv.fallback(); ok {
			ss.Fallback, ss.FallbackMetric = fb.String(), sv.FallbackMetric
		}
		if ent := e.db.get(k); ent != nil && !ent.maxAged(now) {
			ss.Advertised = true
			ss.Seq = fmt.Sprintf("%08x", uint32(ent.hdr.Seq))
			if l, err := lsa.Parse(ent.raw); err == nil {
				if iap, ok := l.Body.(*lsa.IntraAreaPrefix); ok && len(iap.Prefixes) > 0 {
					ss.Metric = iap.Prefixes[0].Metric
				}
			}
		}
		if o := e.own[k]; o != nil {
			if at := e.nextChange(o); !at.IsZero() && at.After(now) {
				ss.NextChange = at
			}
			if o.early.active() {
				ss.ResendAt = o.early.resendAt
			}
		}
		s.Services = append(s.Services, ss)
	}
	sort.Slice(s.Services, func(i, j int) bool { return s.Services[i].Name < s.Services[j].Name })
	return s
}

// lsdbEntries lists the database for `anycostd lsdb`.
func (e *engine) lsdbEntries(now time.Time) []LSDBEntry {
	keys := e.db.keys()
	out := make([]LSDBEntry, 0, len(keys))
	for _, k := range keys {
		ent := e.db.get(k)
		h := ent.header(now)
		le := LSDBEntry{
			Scope:     effectiveScope(h.Type).String(),
			Type:      h.Type.String(),
			TypeCode:  uint16(h.Type),
			LSID:      lsa.IDString(h.ID),
			AdvRouter: lsa.IDString(h.AdvRouter),
			Age:       h.Age,
			Seq:       fmt.Sprintf("%08x", uint32(h.Seq)),
			Checksum:  fmt.Sprintf("%04x", h.Checksum),
			Length:    h.Length,
			Self:      e.isSelf(h),
		}
		if l, err := lsa.Parse(ent.raw); err == nil && l.Body != nil {
			le.Summary = fmt.Sprint(l.Body)
		}
		out = append(out, le)
	}
	return out
}
