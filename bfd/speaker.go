package bfd

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// ErrStopped is returned by requests made after the speaker stopped.
var ErrStopped = errors.New("bfd: speaker stopped")

// ErrBadPeer is wrapped by SetPeers for an address that cannot be a
// single-hop IPv6 peer on the interface.
var ErrBadPeer = errors.New("bfd: peer must be an IPv6 link-local unicast address on the speaker's interface")

// maxPendingEvents bounds the state changes kept for a reader of Events
// that does not keep up; beyond it the oldest are dropped (and logged).
const maxPendingEvents = 4096

// Speaker runs the BFD sessions of one interface. Its engine belongs to
// the goroutine in Run; every other goroutine reaches it through requests
// (packets from the transport reader, SetPeers, Shutdown, Status).
type Speaker struct {
	eng    *engine
	tr     Transport
	clk    Clock
	log    *slog.Logger
	in     chan request
	events chan Event
	done   chan struct{}
}

// request is what reaches the owning goroutine.
type request interface{ isRequest() }

type (
	reqPacket   struct{ d Datagram }
	reqPeers    struct{ peers []netip.Addr }
	reqShutdown struct{}
	reqStatus   struct{ reply chan<- Status }
)

func (reqPacket) isRequest()   {}
func (reqPeers) isRequest()    {}
func (reqShutdown) isRequest() {}
func (reqStatus) isRequest()   {}

// New checks cfg (after Defaults) and builds a speaker on transport tr,
// with no peers. Nothing is sent until Run and SetPeers. clk nil means
// the system clock, log nil slog.Default().
func New(cfg Config, tr Transport, clk Clock, log *slog.Logger) (*Speaker, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bfd: %w", err)
	}
	if clk == nil {
		clk = SystemClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	var seed [8]byte
	_, _ = crand.Read(seed[:]) // never fails (crypto/rand documents it)
	s := &Speaker{
		tr:     tr,
		clk:    clk,
		log:    log,
		in:     make(chan request, 256),
		events: make(chan Event),
		done:   make(chan struct{}),
	}
	s.eng = newEngine(cfg, tr.WriteDatagram, log, binary.LittleEndian.Uint64(seed[:]))
	return s, nil
}

// Run owns the speaker until its Shutdown has completed (every session
// said AdminDown for the peer's detection time) or ctx is cancelled (at
// once, without AdminDown). It closes the transport and the Events
// channel on return; state changes not yet read are dropped then.
func (s *Speaker) Run(ctx context.Context) error {
	defer close(s.done)
	defer close(s.events)
	defer s.tr.Close()
	go s.readLoop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var pending []Event
	for !s.eng.finished() {
		d := time.Hour
		if next := s.eng.nextDeadline(); !next.IsZero() {
			d = max(next.Sub(s.clk.Now()), 0)
		}
		timer.Reset(d)
		var out chan<- Event
		var first Event
		if len(pending) > 0 {
			out, first = s.events, pending[0]
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case r := <-s.in:
			s.handle(s.clk.Now(), r)
		case <-timer.C:
			s.eng.tick(s.clk.Now())
		case out <- first:
			pending = pending[1:]
		}
		pending = append(pending, s.eng.takeEvents()...)
		if n := len(pending) - maxPendingEvents; n > 0 {
			s.log.Error("bfd: events not read, oldest dropped", "dropped", n)
			pending = pending[n:]
		}
	}
	return nil
}

// handle processes one request, then runs the timers and sends what is
// owed at once.
func (s *Speaker) handle(now time.Time, r request) {
	switch r := r.(type) {
	case reqPacket:
		s.eng.receive(now, r.d)
	case reqPeers:
		s.eng.setPeers(now, r.peers)
	case reqShutdown:
		s.eng.beginShutdown(now)
	case reqStatus:
		r.reply <- s.eng.status()
	}
	s.eng.tick(now)
}

func (s *Speaker) readLoop() {
	for {
		d, err := s.tr.ReadDatagram()
		if err != nil {
			return
		}
		select {
		case s.in <- reqPacket{d}:
		case <-s.done:
			return
		}
	}
}

// send delivers r to the owning goroutine unless it has stopped.
func (s *Speaker) send(r request) error {
	select {
	case <-s.done:
		return ErrStopped
	default:
	}
	select {
	case s.in <- r:
		return nil
	case <-s.done:
		return ErrStopped
	}
}

// SetPeers replaces the set of peers: IPv6 link-local addresses (zone
// empty or the interface's name). New peers get a session at once (Down,
// one packet a second until Up); sessions of peers no longer listed go
// AdminDown and end after the peer's detection time. The daemon passes its
// OSPF neighbors (at least the DR and BDR).
func (s *Speaker) SetPeers(peers []netip.Addr) error {
	for _, p := range peers {
		if !p.Is6() || p.Is4In6() || !p.IsLinkLocalUnicast() || (p.Zone() != "" && p.Zone() != s.eng.cfg.Interface) {
			return fmt.Errorf("%w: %v (interface %s)", ErrBadPeer, p, s.eng.cfg.Interface)
		}
	}
	return s.send(reqPeers{append([]netip.Addr(nil), peers...)})
}

// Shutdown starts the graceful stop: every session goes AdminDown with
// diag 7 (RFC 5880 6.8.16) and keeps saying so for the peer's detection
// time of us (3 x 100 ms by default); then Run returns. SetPeers has no
// effect after it.
//
// Beware: FRR 8.4.4 and BIRD 2.0.12 both report a peer's AdminDown to
// their OSPF as a session Down, which tears the adjacency down at once
// (FRR bfdd/bfd.c bs_up_handler -> ptm_bfd_sess_dn -> control_notify Down;
// BIRD proto/bfd/bfd.c sets req->down on any Up->Down), although RFC 5882
// 3.2 says an AdminDown is no failure. Call Shutdown after OSPF has
// flushed what it advertises, not before.
func (s *Speaker) Shutdown() error { return s.send(reqShutdown{}) }

// Events delivers every session state change, in order. The channel is
// closed when Run returns. A reader that falls more than 4096 changes
// behind loses the oldest.
func (s *Speaker) Events() <-chan Event { return s.events }

// Done is closed when Run has returned.
func (s *Speaker) Done() <-chan struct{} { return s.done }

// Status returns a snapshot of the sessions and counters.
func (s *Speaker) Status(ctx context.Context) (Status, error) {
	reply := make(chan Status, 1)
	if err := s.send(reqStatus{reply}); err != nil {
		return Status{}, err
	}
	select {
	case st := <-reply:
		return st, nil
	case <-ctx.Done():
		return Status{}, ctx.Err()
	case <-s.done:
		return Status{}, ErrStopped
	}
}
