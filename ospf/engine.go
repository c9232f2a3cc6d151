package ospf

import (
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf/packet"
)

// engine is the protocol state of one instance: one interface, its
// neighbors, the LSDB and the self-originated LSAs. It is not safe for
// concurrent use: Instance.Run owns it, and tests drive it directly with
// a fake clock (handle, tick, nextDeadline).
type engine struct {
	cfg  Config
	out  writerFunc
	log  *slog.Logger
	opts lsa.Options // options we send: V6, and E unless the area is stub

	// Interface (RFC 2328 9).
	linkUp   bool
	ifState  ifState
	dr, bdr  uint32 // router IDs; 0 when none
	waitAt   time.Time
	helloAt  time.Time
	lastHelo time.Time
	nbrs     map[uint32]*neighbor

	db *lsdb

	// Self-originated LSAs (RFC 2328 12.4) and the services behind the
	// Intra-Area-Prefix-LSAs.
	own      map[lsa.Key]*origin
	services map[string]*service
	// announced: the prefixes a router agent announces and the LSIDs of
	// their server load LSAs (announce.go).
	announced map[netip.Prefix]uint32
	// lastSeq is the last sequence number used for each own LSA, kept
	// after a flushed instance leaves the database.
	lastSeq map[lsa.Key]int32
	// arrival is what each neighbor's acknowledgements proved about its
	// MinLSArrival (arrival.go), by router ID.
	arrival map[uint32]*arrivalBound

	// Delayed acknowledgements (RFC 2328 13.5).
	acks  []lsa.Header
	ackAt time.Time

	// LSAs flooded during the current event, sent together at its end.
	floodQ [][]byte
	// nudgeBit is the x bit of the Router-LSA flags, flipped by the SPF
	// nudge (nudge.go).
	nudgeBit bool

	agingAt time.Time

	shutdown struct {
		active   bool
		deadline time.Time
		done     bool
	}

	cnt   counters
	drops dropLog
	rng   *rand.Rand
}

func newEngine(cfg Config, out writerFunc, log *slog.Logger, now time.Time) *engine {
	e := &engine{
		cfg:       cfg,
		out:       out,
		log:       log,
		opts:      lsa.OptV6 | lsa.OptE,
		nbrs:      make(map[uint32]*neighbor),
		db:        newLSDB(),
		own:       make(map[lsa.Key]*origin),
		lastSeq:   make(map[lsa.Key]int32),
		arrival:   make(map[uint32]*arrivalBound),
		services:  make(map[string]*service),
		announced: make(map[netip.Prefix]uint32),
		cnt:       newCounters(),
		rng:       rand.New(rand.NewPCG(uint64(cfg.RouterID), uint64(now.UnixNano()))),
	}
	if cfg.StubArea {
		e.opts &^= lsa.OptE
	}
	e.drops.log = log
	return e
}

// start brings the interface up and originates the first LSAs.
func (e *engine) start(now time.Time) {
	e.agingAt = now.Add(agingSweep)
	e.linkUp = true
	e.ifEvent(now, ifInterfaceUp)
	e.originateAll(now)
}

// minLSArrival is the engine's own MinLSArrival (Config.MinLSArrival).
func (e *engine) minLSArrival() time.Duration {
	if e.cfg.MinLSArrival > 0 {
		return e.cfg.MinLSArrival
	}
	return lsa.MinLSArrival
}

// finished reports whether a shutdown has completed.
func (e *engine) finished() bool { return e.shutdown.done }

// handle processes one event.
func (e *engine) handle(now time.Time, ev event) {
	switch ev := ev.(type) {
	case evPacket:
		e.receive(now, ev.d)
	case evServices:
		e.setServices(now, ev.svcs)
	case evLink:
		e.setLink(now, ev.up, ev.mtu)
	case evLinkPrefixes:
		e.setLinkPrefixes(now, ev.prefixes)
	case evNeighborDown:
		e.neighborDown(now, ev.addr, ev.reason)
	case evAnnounce:
		e.setAnnounced(ev.prefixes)
	case evShutdown:
		e.beginShutdown(now)
	case evStatus:
		ev.reply <- e.status(now)
	case evLSDB:
		ev.reply <- e.lsdbEntries(now)
	case evRawLSDB:
		ev.reply <- e.rawLSDB(now)
	}
	e.tick(now)
}

// agingSweep is how often the database is scanned for LSAs that reached
// MaxAge (RFC 2328 14) and for flushed ones that may go.
const agingSweep = 5 * time.Second

// tick runs every timer that is due at now.
func (e *engine) tick(now time.Time) {
	if e.shutdown.done {
		return
	}
	if e.linkUp && !e.helloAt.IsZero() && !now.Before(e.helloAt) {
		e.sendHello(now, false)
	}
	if !e.waitAt.IsZero() && !now.Before(e.waitAt) {
		e.waitAt = time.Time{}
		e.ifEvent(now, ifWaitTimer)
	}
	for _, n := range e.dueNeighbors(now) {
		e.nbrTimers(now, n)
	}
	e.watchListings(now)
	if !e.ackAt.IsZero() && !now.Before(e.ackAt) {
		e.flushDelayedAcks(now)
	}
	e.settleServerLoads(now)
	e.originatePending(now)
	if !now.Before(e.agingAt) {
		e.agingAt = now.Add(agingSweep)
		e.age(now)
	}
	e.sendFloodQ()
	e.checkShutdown(now)
}

// nextDeadline is the earliest time tick has something to do; zero when
// nothing is scheduled.
func (e *engine) nextDeadline() time.Time {
	var d deadline
	d.add(e.helloAt)
	d.add(e.waitAt)
	d.add(e.ackAt)
	d.add(e.agingAt)
	for _, n := range e.nbrs {
		n.deadlines(&d)
	}
	for _, o := range e.own {
		d.add(e.due(o))
	}
	if !e.shutdown.active {
		for _, s := range e.services {
			d.add(e.serverLoadSettleAt(s))
		}
	}
	if e.shutdown.active {
		d.add(e.shutdown.deadline)
	}
	return d.t
}

// deadline accumulates the earliest non-zero time.
type deadline struct{ t time.Time }

func (d *deadline) add(t time.Time) {
	if !t.IsZero() && (d.t.IsZero() || t.Before(d.t)) {
		d.t = t
	}
}

// jitter returns d shortened by up to 10%, so that timers of many routers
// do not synchronise.
func (e *engine) jitter(d time.Duration) time.Duration {
	return d - time.Duration(e.rng.Int64N(int64(d)/10+1))
}

// stamp fills the header fields every packet of this instance carries.
func (e *engine) stamp(p packet.Packet) packet.Packet {
	h := p.Hdr()
	h.RouterID = e.cfg.RouterID
	h.AreaID = e.cfg.AreaID
	h.InstanceID = e.cfg.InstanceID
	return p
}

// send marshals p and writes it to dst.
func (e *engine) send(dst netip.Addr, p packet.Packet) {
	b, err := packet.MarshalPacket(e.stamp(p))
	if err != nil {
		e.log.Error("cannot encode packet", "type", p.Hdr().Type, "err", err)
		return
	}
	e.write(dst, p.Hdr().Type, b)
}

// write sends an encoded packet, counting it.
func (e *engine) write(dst netip.Addr, t packet.Type, b []byte) {
	if err := e.out(dst, b); err != nil {
		e.cnt.dropped["send-error"]++
		e.drops.note(time.Time{}, "send-error", "cannot send packet", "type", t, "dst", dst, "err", err)
		return
	}
	e.cnt.packetsOut[t.String()]++
}

// floodDst is where flooded LSAs and delayed acks go on a broadcast link
// (RFC 2328 13.3 (5), 13.5): AllSPFRouters from the DR and BDR,
// AllDRouters from the others.
func (e *engine) floodDst() netip.Addr {
	if e.ifState == ifDR || e.ifState == ifBackup {
		return AllSPFRouters
	}
	return AllDRouters
}

// maxPacket is the largest OSPF packet (header and body) that fits the
// link MTU without fragmentation, with room for the trailer the transport
// adds (Config.TrailerOverhead).
func (e *engine) maxPacket() int { return e.cfg.Link.MTU - 40 - e.cfg.TrailerOverhead }
