package ospf

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// origin is one self-originated LSA: the content wanted now and the
// pacing state of its instances (RFC 2328 12.4).
type origin struct {
	key  lsa.Key
	want lsa.Body // nil: not wanted, flush any instance
	// dirty: the wanted content (or a forced new instance) is not yet
	// in the database.
	dirty bool
	// force asks for a new instance even if the content is unchanged
	// (refresh, or 13.4 after a restart).
	force bool
	// lastSent is when the current instance last went on the wire
	// (flooded, retransmitted or sent in answer to a request). The next
	// instance may follow MinLSInterval later: routers drop an instance
	// that arrives within MinLSArrival of installing the previous one
	// (RFC 2328 13 (5.a)), without acknowledging it, and the previous one
	// may have been installed from any of its transmissions: a lost first
	// copy is installed from its retransmission.
	lastSent time.Time
	// firstSent is when the current instance was flooded (arrival.go).
	firstSent time.Time
	// nudged: the pending instance (the Router-LSA) carries the SPF nudge
	// of a withdrawal, and is as urgent as the withdrawal (nudge.go).
	nudged bool
	// early is the outstanding early try of a withdrawal (early.go);
	// resent is the instance last sent again at the end of the routers'
	// window (zero when none).
	early  earlyTry
	resent lsa.Header
	// wrap: the instance reached MaxSequenceNumber and is being flushed;
	// the next starts again at InitialSequenceNumber (RFC 2328 12.1.6).
	wrap bool
}

// due is when o has something to do next: put its next instance out (a
// withdrawal at once, or once a window after the last early try, anything
// else MinLSInterval after the last transmission), or end its early try;
// zero when nothing is pending.
func (e *engine) due(o *origin) time.Time {
	switch {
	case o.early.active():
		return o.early.resendAt
	case !o.dirty || o.wrap:
		return time.Time{}
	case o.lastSent.IsZero():
		return time.Unix(0, 1) // now
	}
	paced := o.lastSent.Add(e.cfg.MinLSInterval)
	if at := e.earlyAllowed(o); o.urgent() && at.Before(paced) {
		return at
	}
	return paced
}

// nextChange is when o's pending content goes out; zero when nothing is
// pending.
func (e *engine) nextChange(o *origin) time.Time {
	if !o.dirty {
		return time.Time{}
	}
	return e.due(o)
}

// want sets the content wanted for key (nil to flush it). It reaches the
// database and the wire as soon as pacing lets it.
func (e *engine) want(key lsa.Key, body lsa.Body) {
	if e.shutdown.active {
		body = nil
	}
	o := e.own[key]
	if o == nil {
		if body == nil && e.db.get(key) == nil {
			return
		}
		o = &origin{key: key}
		e.own[key] = o
	}
	if o.holds(e.db.get(key), body) {
		return
	}
	o.want = body
	o.dirty = true
}

// holds reports whether ent, o's instance in the database, already is
// what wanting body asks for and nothing of o is pending: wanting it
// again would only hold it for a pacing interval (a service set handed
// again with only a load that does not move the server load LSA).
func (o *origin) holds(ent *dbEntry, body lsa.Body) bool {
	return body != nil && o.want != nil && !o.dirty && !o.force && !o.wrap && !o.early.active() &&
		ent != nil && sameBody(ent.raw, body)
}

// ownSent records that the current instance of one of our LSAs went out.
func (e *engine) ownSent(now time.Time, k lsa.Key) {
	if o := e.own[k]; o != nil {
		o.lastSent = now
	}
}

// originateAll sets the wanted content of every LSA this router
// originates.
func (e *engine) originateAll(now time.Time) {
	e.originateRouter()
	e.originateNetwork(now)
	e.originateLink(now)
	for _, s := range e.services {
		e.originateService(now, s)
	}
}

// originateRouter wants the Router-LSA of RFC 5340 4.4.3.2: V6 set, R
// clear (a host: never transit), E as the area; one transit link to the
// DR's network once fully adjacent to the DR.
func (e *engine) originateRouter() {
	r := &lsa.Router{Options: e.opts}
	if e.nudgeBit {
		r.Flags |= lsa.RouterW
	}
	switch e.ifState {
	case ifDR:
		for _, n := range e.nbrs {
			if n.state == nbrFull {
				r.Links = append(r.Links, lsa.RouterLink{
					Type: lsa.LinkTransit, Metric: e.cfg.Cost,
					InterfaceID:         uint32(e.cfg.Link.Index),
					NeighborInterfaceID: uint32(e.cfg.Link.Index),
					NeighborRouterID:    e.cfg.RouterID,
				})
				break
			}
		}
	case ifDROther, ifBackup:
		if n := e.nbrs[e.dr]; n != nil && n.state == nbrFull {
			r.Links = append(r.Links, lsa.RouterLink{
				Type: lsa.LinkTransit, Metric: e.cfg.Cost,
				InterfaceID:         uint32(e.cfg.Link.Index),
				NeighborInterfaceID: n.ifID,
				NeighborRouterID:    n.id,
			})
		}
	}
	// A Router-LSA without links says nothing a neighbor can use, and one
	// exposed during the first exchange costs a MinLSInterval: the router
	// asks for it (it has no copy after our last run's flush aged out), and
	// the instance with the transit link, wanted a moment later at Full,
	// must then wait for pacing (FRR drops an instance within MinLSArrival
	// of installing the previous one). So none is originated until it has
	// a link, unless an instance already exists (ours, or one of a previous
	// run that 13.4 must supersede).
	key := lsa.Key{Type: lsa.TypeRouter, ID: 0, AdvRouter: e.cfg.RouterID}
	if len(r.Links) == 0 && e.own[key] == nil && e.db.get(key) == nil {
		return
	}
	e.want(key, r)
}

// originateNetwork wants the Network-LSA (RFC 5340 4.4.3.3) while this
// router is DR and fully adjacent to at least one router, and its flush
// otherwise.
func (e *engine) originateNetwork(now time.Time) {
	key := lsa.Key{Type: lsa.TypeNetwork, ID: uint32(e.cfg.Link.Index), AdvRouter: e.cfg.RouterID}
	var body lsa.Body
	if e.ifState == ifDR {
		net := &lsa.Network{Options: e.opts, AttachedRouters: []uint32{e.cfg.RouterID}}
		for _, n := range e.nbrList() {
			if n.state == nbrFull {
				net.AttachedRouters = append(net.AttachedRouters, n.id)
			}
		}
		if len(net.AttachedRouters) > 1 {
			body = net
		}
	}
	e.want(key, body)
}

// originateLink wants the Link-LSA (RFC 5340 4.4.3.8): the link-local
// address the router uses as next hop, and the interface's prefixes
// (link_lsa.go: never a service's).
func (e *engine) originateLink(now time.Time) {
	l := &lsa.Link{Priority: e.cfg.Priority, Options: e.opts, LinkLocal: e.cfg.Link.LinkLocal, Prefixes: e.linkPrefixes()}
	e.want(lsa.Key{Type: lsa.TypeLink, ID: uint32(e.cfg.Link.Index), AdvRouter: e.cfg.RouterID}, l)
}

// originatePending puts out every wanted instance that pacing allows,
// withdrawals at once (early.go), and ends the early tries whose window
// has passed.
func (e *engine) originatePending(now time.Time) {
	// A second pass takes what the first one wanted (the SPF nudge), so
	// it leaves in the same update.
	for range 2 {
		for _, o := range e.own {
			at := e.due(o)
			if at.IsZero() || now.Before(at) {
				continue
			}
			switch {
			case o.early.active():
				e.resendEarly(now, o)
			case o.lastSent.IsZero() || !now.Before(o.lastSent.Add(e.cfg.MinLSInterval)):
				if e.originateNow(now, o) {
					e.nudgeSPF(o.want == nil)
				}
			default:
				e.tryEarly(now, o)
			}
		}
	}
}

// originateNow installs and floods the next instance of o, or flushes it
// (premature aging, RFC 2328 14.1). It reports whether the change
// withdraws a prefix or raises a metric, which calls for the SPF nudge
// (nudge.go); the caller sends it.
func (e *engine) originateNow(now time.Time, o *origin) (nudge bool) {
	o.dirty = false
	o.nudged = false
	o.resent = lsa.Header{}
	ent := e.db.get(o.key)
	if o.want == nil {
		force := o.force
		o.force = false
		if ent == nil || (ent.maxAged(now) && !force) {
			return false
		}
		nudge = o.key.Type == lsa.TypeIntraAreaPrefix && needsNudge(ent.raw, nil)
		raw := bytes.Clone(ent.raw)
		lsa.SetAge(raw, lsa.MaxAge)
		h := ent.hdr
		h.Age = lsa.MaxAge
		e.removeRxmtAll(o.key)
		e.db.install(raw, h, now, false)
		o.lastSent, o.firstSent = time.Time{}, now
		e.flood(now, h, raw, nil)
		e.log.Info("flushing LSA", "lsa", o.key)
		return nudge
	}
	seq := lsa.InitialSequenceNumber
	if last, ok := e.lastSeq[o.key]; ok && ent == nil && !o.wrap {
		// A flushed instance may still sit in routers' databases at
		// MaxAge: start above it, not from InitialSequenceNumber.
		if next, ok := lsa.NextSeq(last); ok {
			seq = next
		}
	}
	if ent != nil {
		if !o.force && !ent.maxAged(now) && sameBody(ent.raw, o.want) {
			return false
		}
		next, ok := lsa.NextSeq(ent.hdr.Seq)
		if !ok {
			// (RFC 2328 12.1.6) Flush the instance at MaxSequenceNumber
			// first; the next one starts over once it is gone.
			o.wrap = true
			want := o.want
			o.want = nil
			o.force = true
			nudge = e.originateNow(now, o)
			o.want = want
			return nudge
		}
		seq = next
	}
	o.force = false
	raw, err := lsa.Marshal(lsa.LSA{
		Header: lsa.Header{Type: o.key.Type, ID: o.key.ID, AdvRouter: o.key.AdvRouter, Seq: seq},
		Body:   o.want,
	})
	if err != nil {
		e.log.Error("cannot encode own LSA", "lsa", o.key, "err", err)
		return false
	}
	h, _ := lsa.ParseHeader(raw)
	e.lastSeq[o.key] = seq
	nudge = o.key.Type == lsa.TypeIntraAreaPrefix && ent != nil && !ent.maxAged(now) && needsNudge(ent.raw, o.want)
	e.removeRxmtAll(o.key)
	e.db.install(raw, h, now, false)
	o.lastSent, o.firstSent = time.Time{}, now
	e.cnt.originations++
	e.log.Debug("originating LSA", "lsa", o.key, "seq", uint32(seq))
	e.flood(now, h, raw, nil)
	return nudge
}

// sameBody reports whether raw (a whole LSA) carries body.
func sameBody(raw []byte, body lsa.Body) bool {
	enc, err := lsa.Marshal(lsa.LSA{Header: lsa.Header{Type: body.Type()}, Body: body})
	if err != nil || len(raw) < lsa.HeaderLen {
		return false
	}
	return bytes.Equal(raw[lsa.HeaderLen:], enc[lsa.HeaderLen:])
}

// selfOriginatedReceived is RFC 2328 13.4: the network holds a newer
// instance of one of our LSAs (typically from before a restart). If we
// still want it, originate one past its sequence number; else flush it.
func (e *engine) selfOriginatedReceived(now time.Time, h lsa.Header) {
	o := e.own[h.Key()]
	if o != nil && o.want != nil {
		e.log.Info("newer instance of own LSA in the network; re-originating above it", "lsa", h.Key(), "seq", uint32(h.Seq))
		// A wrap in progress starts over from the instance now in the
		// database: it is flushed in turn if it too is at
		// MaxSequenceNumber.
		o.wrap = false
		o.dirty, o.force = true, true
		o.lastSent = time.Time{}
		o.early = earlyTry{}
		return
	}
	if h.Age >= lsa.MaxAge {
		return
	}
	e.log.Info("own LSA no longer wanted found in the network; flushing it", "lsa", h.Key())
	if o == nil {
		o = &origin{key: h.Key()}
		e.own[h.Key()] = o
	}
	o.want = nil
	o.dirty = true
	o.lastSent = time.Time{}
	o.early = earlyTry{}
}

// service is one advertised service and the LSID of its
// Intra-Area-Prefix-LSA.
type service struct {
	Service
	lsid uint32
	sl   serverLoadState // serverload.go
}

// fallback is the service's fallback prefix, masked, when it has one
// other than its prefix.
func (s *service) fallback() (netip.Prefix, bool) {
	fb := s.Fallback.Masked()
	return fb, s.Fallback.IsValid() && fb != s.Prefix.Masked()
}

func (s *service) key(rid uint32) lsa.Key {
	return lsa.Key{Type: lsa.TypeIntraAreaPrefix, ID: s.lsid, AdvRouter: rid}
}

// originateService wants the service's Intra-Area-Prefix-LSA (RFC 5340
// 4.4.3.9), one per service so that each is paced on its own, or its
// flush when the service is withdrawn. The LSA carries the service's
// prefix, then its fallback prefix if it has one, each with its own
// metric: one LSA, so a router learns both changes of a step together.
func (e *engine) originateService(now time.Time, s *service) {
	var body lsa.Body
	if !s.Withdraw {
		prefixes := []lsa.Prefix{{Prefix: s.Prefix.Masked(), Metric: s.Metric}}
		if fb, ok := s.fallback(); ok {
			prefixes = append(prefixes, lsa.Prefix{Prefix: fb, Metric: s.FallbackMetric})
		}
		body = &lsa.IntraAreaPrefix{
			RefType:      lsa.TypeRouter,
			RefAdvRouter: e.cfg.RouterID,
			Prefixes:     prefixes,
		}
	}
	e.want(s.key(e.cfg.RouterID), body)
	e.originateServerLoad(now, s)
}

// setServices applies a new service set: changed services get a new
// instance, removed ones are flushed, new ones take the lowest free LSID.
func (e *engine) setServices(now time.Time, svcs []Service) {
	if e.shutdown.active {
		return
	}
	seen := make(map[string]bool, len(svcs))
	for _, sv := range svcs {
		seen[sv.Name] = true
	}
	for name, s := range e.services {
		if !seen[name] {
			delete(e.services, name)
			s.Withdraw = true
			e.originateService(now, s)
		}
	}
	for _, sv := range svcs {
		s := e.services[sv.Name]
		if s == nil {
			s = &service{lsid: e.freeLSID()}
			e.services[sv.Name] = s
		}
		s.Service = sv
		e.originateService(now, s)
	}
	// A service prefix may have been in the Link-LSA (link_lsa.go).
	e.originateLink(now)
}

// freeLSID returns the lowest Intra-Area-Prefix LSID above 0 that no
// service uses (nor a router agent's announcement: its server load LSA
// would share the LSID of the service's, announce.go).
func (e *engine) freeLSID() uint32 {
	used := make(map[uint32]bool, len(e.services)+len(e.announced))
	for _, s := range e.services {
		used[s.lsid] = true
	}
	for _, id := range e.announced {
		used[id] = true
	}
	id := uint32(1)
	for used[id] {
		id++
	}
	return id
}
