package bfd

import "time"

// fsmEvent is an input to a session's state machine (RFC 5880 6.2).
type fsmEvent uint8

const (
	// The State of a received packet (RFC 5880 6.8.6 steps 22-23).
	evRecvAdminDown fsmEvent = iota
	evRecvDown
	evRecvInit
	evRecvUp
	// evTimerExpired: the detection time passed without a packet (6.8.4).
	evTimerExpired
	// evAdminDown and evAdminUp disable and enable the session (6.8.16).
	evAdminDown
	evAdminUp
)

func (ev fsmEvent) String() string {
	return [...]string{"recv AdminDown", "recv Down", "recv Init", "recv Up", "timer expired", "admin down", "admin up"}[ev]
}

// recvEvent is the event for a received packet's State.
func recvEvent(st State) fsmEvent {
	return [...]fsmEvent{StateAdminDown: evRecvAdminDown, StateDown: evRecvDown, StateInit: evRecvInit, StateUp: evRecvUp}[st&3]
}

// fsm runs the state machine of RFC 5880 6.2 for one event. The received
// packet cases are 6.8.6 steps 22 and 23; the timer 6.8.4; the
// administrative ones 6.8.16. Pairs with nothing to do are listed; any
// other pair is logged.
func (e *engine) fsm(now time.Time, s *session, ev fsmEvent) {
	switch s.state {
	case StateAdminDown:
		switch ev {
		case evAdminUp:
			// 6.8.16: if enabling the session, set bfd.SessionState to Down.
			e.enter(now, s, StateDown, DiagNone)
		case evRecvAdminDown, evRecvDown, evRecvInit, evRecvUp, evTimerExpired, evAdminDown:
			// 6.8.6 step 21: packets are discarded while AdminDown (the
			// engine does not call us for them); no detection runs.
		default:
			e.unexpected(s, ev)
		}
	case StateDown:
		switch ev {
		case evRecvDown:
			// Step 23 (Down): received Down -> Init.
			e.enter(now, s, StateInit, s.localDiag)
		case evRecvInit:
			// Step 23 (Down): received Init -> Up.
			e.enter(now, s, StateUp, DiagNone)
		case evAdminDown:
			e.enter(now, s, StateAdminDown, DiagAdminDown)
		case evRecvAdminDown, evRecvUp, evTimerExpired, evAdminUp:
			// Step 22 changes nothing while Down; an Up peer must first
			// see us Down; the timer only clears the discriminator.
		default:
			e.unexpected(s, ev)
		}
	case StateInit:
		switch ev {
		case evRecvAdminDown:
			// Step 22: the peer signals AdminDown -> Down, diag 3.
			e.enter(now, s, StateDown, DiagNeighborDown)
		case evRecvInit, evRecvUp:
			// Step 23 (Init): received Init or Up -> Up.
			e.enter(now, s, StateUp, DiagNone)
		case evTimerExpired:
			// 6.8.4: detection time expired in Init -> Down, diag 1.
			e.enter(now, s, StateDown, DiagTimeExpired)
		case evAdminDown:
			e.enter(now, s, StateAdminDown, DiagAdminDown)
		case evRecvDown, evAdminUp:
			// The peer has not seen our Init yet.
		default:
			e.unexpected(s, ev)
		}
	case StateUp:
		switch ev {
		case evRecvAdminDown, evRecvDown:
			// Step 22 (AdminDown) and 23 (Up, received Down) -> Down,
			// diag 3.
			e.enter(now, s, StateDown, DiagNeighborDown)
		case evTimerExpired:
			// 6.8.4: detection time expired -> Down, diag 1.
			e.enter(now, s, StateDown, DiagTimeExpired)
		case evAdminDown:
			e.enter(now, s, StateAdminDown, DiagAdminDown)
		case evRecvInit, evRecvUp, evAdminUp:
			// Up and staying Up.
		default:
			e.unexpected(s, ev)
		}
	default:
		e.unexpected(s, ev)
	}
}

// unexpected logs a (state, event) pair the state machine does not know.
func (e *engine) unexpected(s *session, ev fsmEvent) {
	e.log.Error("bfd: no transition for this state and event", "peer", s.peer, "state", s.state, "event", ev)
}

// enter moves s to state to with local diagnostic diag and does what the
// new state needs: the timers advertised (RFC 5880 6.8.3: at least one
// second while not Up; the configured ones, by a Poll Sequence, once Up),
// the AdminDown linger (6.8.16), an immediate packet, an Event and a log
// line.
func (e *engine) enter(now time.Time, s *session, to State, diag Diag) {
	from := s.state
	s.state, s.localDiag = to, diag
	s.since = now
	s.sendNow = true
	switch to {
	case StateUp:
		s.ups++
		s.setTimers(e.cfg.DesiredMinTx, e.cfg.RequiredMinRx)
	case StateDown, StateInit:
		if from == StateUp {
			s.downs++
			s.lastDownDiag = diag
		}
		s.setTimers(max(e.cfg.DesiredMinTx, slowTx), e.cfg.RequiredMinRx)
	case StateAdminDown:
		// Keep sending at the current rate for the peer's detection time
		// of us (our Detect Mult times our interval), so that it learns
		// of the change even if a packet is lost; a session that was not
		// Up sends its one packet only.
		s.lingerEvery = s.txInterval()
		s.lingerUntil = now
		if from == StateUp && s.lingerEvery > 0 {
			s.lingerUntil = now.Add(time.Duration(s.detectMult) * s.lingerEvery)
		}
		s.detectAt = time.Time{}
		s.polling = false
		s.desiredMinTx = max(e.cfg.DesiredMinTx, slowTx)
	}
	s.reschedule(now, e.rng.Int64N)
	ev := Event{Peer: s.peer, From: from, To: to, Diag: diag, RemoteState: s.remoteState, RemoteDiag: s.remoteDiag, At: now}
	e.events = append(e.events, ev)
	e.changes[to.String()]++
	e.log.Info("bfd session "+to.String(), "peer", s.peer, "from", from, "diag", diag,
		"remote_state", s.remoteState, "remote_diag", s.remoteDiag, "failure", ev.Failure())
}
