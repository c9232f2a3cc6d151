package bfd

import "time"

// txInterval is the negotiated transmission interval (RFC 5880 6.8.2,
// 6.8.7): the larger of our Desired Min TX in force and the peer's
// Required Min RX. Zero when the peer asked for no periodic packets.
func (s *session) txInterval() time.Duration {
	if s.remoteMinRx == 0 {
		return 0
	}
	return max(s.txInUse, s.remoteMinRx)
}

// rxInterval is the peer's negotiated transmission interval: the larger of
// our Required Min RX in force and the peer's last Desired Min TX.
func (s *session) rxInterval() time.Duration {
	return max(s.rxInUse, s.remoteDesiredTx)
}

// detectTime is the detection time in asynchronous mode (RFC 5880 6.8.4):
// the peer's Detect Mult times its negotiated transmission interval. Zero
// until a packet has been received.
func (s *session) detectTime() time.Duration {
	return time.Duration(s.remoteMult) * s.rxInterval()
}

// periodicAllowed applies the transmission rules of RFC 5880 6.8.7 that
// stop periodic packets: (1) the peer's Required Min RX is zero; (2)
// Demand mode is active on the peer (its D bit, both sides Up) and no Poll
// Sequence runs; (3) an AdminDown session has finished its linger. (The
// Passive-role rule does not apply: we are Active.)
func (s *session) periodicAllowed(now time.Time) bool {
	switch {
	case s.remoteMinRx == 0:
		return false
	case s.remoteDemand && s.state == StateUp && s.remoteState == StateUp && !s.polling:
		return false
	case s.state == StateAdminDown:
		return now.Before(s.lingerUntil)
	}
	return true
}

// period is the interval between periodic packets: the negotiated one, or
// during an AdminDown linger the one in force when it began.
func (s *session) period() time.Duration {
	if s.state == StateAdminDown {
		return s.lingerEvery
	}
	return s.txInterval()
}

// jitter shortens d as RFC 5880 6.8.7 requires: by 0-25%, or to 75-90% of
// d when bfd.DetectMult is 1. r is uniform in [0, n).
func jitter(d time.Duration, mult uint8, r func(n int64) int64) time.Duration {
	if mult == 1 {
		// 75-90%: 90% minus up to 15%.
		top := d * 9 / 10
		return top - time.Duration(r(int64(d*15/100)+1))
	}
	return d - time.Duration(r(int64(d/4)+1))
}

// setTimers changes the advertised Desired Min TX and Required Min RX
// (RFC 5880 6.8.3). While Up a change starts a Poll Sequence, and until it
// ends an increased TX and a reduced RX do not take effect; a reduced TX
// and an increased RX take effect at once. Outside Up both take effect at
// once and no Poll is needed.
func (s *session) setTimers(tx, rx time.Duration) {
	if tx == s.desiredMinTx && rx == s.requiredMinRx {
		return
	}
	s.desiredMinTx, s.requiredMinRx = tx, rx
	if s.state != StateUp {
		s.polling = false
		s.txInUse, s.rxInUse = tx, rx
		return
	}
	s.txInUse = min(s.txInUse, tx)
	s.rxInUse = max(s.rxInUse, rx)
	if !s.polling {
		s.startPoll()
	}
}

// startPoll begins a Poll Sequence (RFC 5880 6.5) carrying the current
// values. The P bit goes out at once (sendNow) and on every packet until a
// Final arrives.
func (s *session) startPoll() {
	s.polling = true
	s.pollTx, s.pollRx = s.desiredMinTx, s.requiredMinRx
	s.sendNow = true
}

// endPoll is RFC 5880 6.8.6 step 18: a Final ends the Poll Sequence and
// the values it carried take effect. If the values changed while it ran,
// another Poll carries the new ones.
func (s *session) endPoll() {
	s.polling = false
	s.txInUse, s.rxInUse = s.pollTx, s.pollRx
	if s.pollTx != s.desiredMinTx || s.pollRx != s.requiredMinRx {
		s.txInUse = min(s.txInUse, s.desiredMinTx)
		s.rxInUse = max(s.rxInUse, s.requiredMinRx)
		s.startPoll()
	}
}

// reschedule pulls the next periodic transmission in when the interval
// has shrunk below what is left of the current one (a Poll to the fast
// rate must not wait out a one-second slow interval).
func (s *session) reschedule(now time.Time, r func(n int64) int64) {
	p := s.period()
	if p > 0 && !s.txAt.IsZero() && s.txAt.Sub(now) > p {
		s.txAt = now.Add(jitter(p, s.detectMult, r))
	}
	if s.txAt.IsZero() && p > 0 {
		s.txAt = now.Add(jitter(p, s.detectMult, r))
	}
}
