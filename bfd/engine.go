package bfd

import (
	"container/heap"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// engine holds every session of a speaker. It does no I/O: packets leave
// through out, state changes collect in events, and time comes in as
// arguments. Speaker.Run owns it; tests drive it with a fake clock
// (receive, setPeers, tick, nextDeadline).
type engine struct {
	cfg      Config
	out      func(dst netip.Addr, data []byte) error
	log      *slog.Logger
	rng      *rand.Rand
	sessions map[netip.Addr]*session // by peer, zoned with cfg.Interface
	order    []*session              // the sessions sorted by peer
	queue    sessionQueue            // every session, by its next deadline
	byDiscr  map[uint32]*session     // by bfd.LocalDiscr
	cnt      counters                // packets no session took
	events   []Event                 // state changes not yet taken
	changes  map[string]uint64       // state changes of every session, by new state
	shutdown bool
	buf      []byte
}

func newEngine(cfg Config, out func(netip.Addr, []byte) error, log *slog.Logger, seed uint64) *engine {
	return &engine{
		cfg:      cfg,
		out:      out,
		log:      log,
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		sessions: make(map[netip.Addr]*session),
		byDiscr:  make(map[uint32]*session),
		cnt:      newCounters(),
		changes:  make(map[string]uint64),
	}
}

// setPeers makes the sessions match peers (link-local addresses on
// cfg.Interface): new peers get a session in Down, sending at once;
// sessions of peers no longer listed go AdminDown and end after their
// linger (RFC 5880 6.8.16); a listed peer whose session lingers is
// enabled again.
func (e *engine) setPeers(now time.Time, peers []netip.Addr) {
	if e.shutdown {
		return
	}
	want := make(map[netip.Addr]bool, len(peers))
	var add []netip.Addr // in order, so that discriminators are reproducible
	for _, p := range peers {
		p = p.WithZone(e.cfg.Interface)
		if !want[p] {
			want[p] = true
			add = append(add, p)
		}
	}
	slices.SortFunc(add, netip.Addr.Compare)
	for _, s := range e.sorted() {
		if !want[s.peer] && !s.removing {
			s.removing = true
			e.fsm(now, s, evAdminDown)
			e.touch(now, s)
		}
	}
	for _, p := range add {
		if s := e.sessions[p]; s != nil {
			if s.removing {
				s.removing = false
				e.fsm(now, s, evAdminUp)
				e.touch(now, s)
			}
			continue
		}
		s := newSession(now, p, e.newDiscr(), &e.cfg)
		e.sessions[p] = s
		e.byDiscr[s.localDiscr] = s
		i, _ := slices.BinarySearchFunc(e.order, p, func(s *session, p netip.Addr) int { return s.peer.Compare(p) })
		e.order = slices.Insert(e.order, i, s)
		heap.Push(&e.queue, s)
		e.touch(now, s)
		e.log.Info("bfd session created", "peer", p, "local_discriminator", s.localDiscr)
	}
}

// newDiscr picks a random, unused, non-zero local discriminator (RFC 5880
// 6.8.1).
func (e *engine) newDiscr() uint32 {
	for {
		d := e.rng.Uint32()
		if d != 0 && e.byDiscr[d] == nil {
			return d
		}
	}
}

// beginShutdown takes every session AdminDown (RFC 5880 6.8.16); the
// engine is finished once their lingers have passed.
func (e *engine) beginShutdown(now time.Time) {
	e.shutdown = true
	for _, s := range e.sorted() {
		s.removing = true
		e.fsm(now, s, evAdminDown)
		e.touch(now, s)
	}
}

// finished reports whether a shutdown has completed: every session has
// said AdminDown for as long as it had to.
func (e *engine) finished() bool { return e.shutdown && len(e.sessions) == 0 }

// sorted returns a copy of the sessions in peer order, so that what the
// engine does for several sessions at once is reproducible.
func (e *engine) sorted() []*session { return slices.Clone(e.order) }

// touch marks s changed at now: it is due, so that the next tick sends
// what it owes and requeues it by its timers.
func (e *engine) touch(now time.Time, s *session) {
	s.due = now
	heap.Fix(&e.queue, s.index)
}

// tick runs every session due at now: those changed (touch) and those
// whose timers expire.
func (e *engine) tick(now time.Time) {
	for len(e.queue) > 0 {
		s := e.queue[0]
		if s.due.IsZero() || s.due.After(now) {
			break
		}
		e.sessionTick(now, s)
		if len(e.queue) > 0 && e.queue[0] == s && !s.due.IsZero() && !s.due.After(now) {
			// Every path through sessionTick moves or clears what was due;
			// never spin if one does not.
			e.log.Error("bfd: session timer did not advance", "peer", s.peer, "due", s.due)
			s.due = now.Add(time.Millisecond)
			heap.Fix(&e.queue, s.index)
		}
	}
}

// sessionTick is one session's share of tick: its timers due at now, the
// packets it owes, then its place in the queue (or its removal).
func (e *engine) sessionTick(now time.Time, s *session) {
	e.sessionTimers(now, s)
	if s.state == StateAdminDown && s.removing && !now.Before(s.lingerUntil) {
		e.remove(s)
		return
	}
	s.due = s.deadline()
	heap.Fix(&e.queue, s.index)
}

// sessionTimers runs s's timers due at now and sends what it owes.
func (e *engine) sessionTimers(now time.Time, s *session) {
	// Detection (RFC 5880 6.8.4, 6.8.1 bfd.RemoteDiscr).
	if !s.detectAt.IsZero() && !now.Before(s.detectAt) {
		s.detectAt = time.Time{}
		s.remoteDiscr = 0
		s.remoteDemand = false
		e.fsm(now, s, evTimerExpired)
	}
	// Packets owed at once: a Final (never with Poll), and one for a state
	// change or a new Poll unless the Final said it all.
	if s.finalOwed {
		s.finalOwed = false
		e.send(s, true)
		if !s.polling {
			s.sendNow = false
		}
	}
	if s.sendNow {
		s.sendNow = false
		e.send(s, false)
	}
	// Periodic transmission (6.8.7).
	if !s.txAt.IsZero() && !now.Before(s.txAt) {
		s.txAt = time.Time{}
		if s.periodicAllowed(now) {
			e.send(s, false)
			s.txAt = now.Add(jitter(s.period(), s.detectMult, e.rng.Int64N))
		}
	}
}

// remove ends a session.
func (e *engine) remove(s *session) {
	delete(e.sessions, s.peer)
	delete(e.byDiscr, s.localDiscr)
	e.order = slices.DeleteFunc(e.order, func(o *session) bool { return o == s })
	heap.Remove(&e.queue, s.index)
	e.log.Info("bfd session deleted", "peer", s.peer, "local_discriminator", s.localDiscr)
}

// send transmits s's control packet, with Final when final.
func (e *engine) send(s *session, final bool) {
	var err error
	e.buf, err = s.packet(final).Append(e.buf[:0])
	if err == nil {
		err = e.out(s.peer, e.buf)
	}
	if err != nil {
		e.drop(s, s.peer, dropSendError, "err", err)
		return
	}
	s.cnt.packetsOut++
}

// nextDeadline is the earliest time tick has something to do; zero when
// nothing is scheduled.
func (e *engine) nextDeadline() time.Time {
	if len(e.queue) == 0 {
		return time.Time{}
	}
	return e.queue[0].due
}

// takeEvents returns the state changes since the last call.
func (e *engine) takeEvents() []Event {
	ev := e.events
	e.events = nil
	return ev
}
