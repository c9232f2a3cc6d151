package costmodel

import (
	"fmt"
	"time"
)

// A probe that fails behind a congested receive queue (issue 14).
//
// The probe is sent to the service's own socket, so it queues behind the
// clients' queries. A server offered more than it answers keeps its
// receive queue full: the probe waits as long as the whole queue takes to
// drain, or finds the queue full and is dropped by the kernel. Either way
// it fails although the server answers every query it takes, and Fall such
// failures in a row used to withdraw the server as dead: in the simulator
// (farm 1/1/2/0.5, load 0.9) up to 74 metric changes a minute, answered
// 81.2% against 86.9% without the probe. Two rules tell such a server from
// a dead or hung one by what the socket monitor sees at the same time:
//
//   - While the queue is congested (ProbeWait), a probe waits for its
//     answer up to HungAfter/Fall (at least the probe interval), not only
//     the configured timeout: an answer from behind a full queue proves
//     the server alive, and its latency (above ProbeLatencyFull) counts as
//     load. Probes do not overlap: the next one goes when this one is
//     answered or given up, so a long wait sends fewer probes, never more.
//     While the queue is shallow the wait is the timeout, so a server hung
//     while idle is found failed as fast as before.
//   - A failed check while the queue is congested (the socket monitor
//     showed a fill of congestedFill or more, or drops, within the last
//     probe or socket interval, or before that within the congested wait:
//     the probe may have been sent then) is load, not death, for a while: it does
//     not take the service down even when it makes Fall in a row, as long
//     as a good check came less than HungAfter ago. A hung process (SIGSTOP,
//     a deadlock) keeps its queue full and answers nothing: it is withdrawn
//     at its first failed check HungAfter after its last good one. A
//     process that is gone is withdrawn at once by the socket monitor, as
//     before; a failure with a shallow queue counts towards Fall as before.
//
// Rejected: estimating the queue's drain time to size the wait (the queue's
// bytes are known, the rate the process reads them at is not; the interval
// bounds any estimate anyway); the socket's drops alone as the congestion
// signal (a queue that is full but not yet overflowing delays the probe
// beyond the timeout with no drop counted); a longer timeout for every probe
// (a server hung while idle would be found a timeout later).

// congestedFill is the receive-queue fill at or above which the socket
// counts as congested: a probe then waits behind half a buffer or more.
const congestedFill = 0.5

// noteCongestion records a socket sample that shows the receive queue
// congested (see congestedFill).
func (m *Model) noteCongestion(now time.Time, s Sample) {
	if s.Input == InputSocket && s.Present && (s.Drops > 0 || s.RQueue >= congestedFill) {
		m.congestedAt = now
	}
}

// congested reports whether the socket monitor showed the receive queue
// congested recently enough to explain a probe's failure at now: within
// the longer of the probe and socket intervals (a probe's failure comes at
// most a probe interval after it was sent; the socket is sampled every
// socket interval).
func (m *Model) congested(now time.Time) bool {
	if m.congestedAt.IsZero() {
		return false
	}
	return now.Sub(m.congestedAt) <= max(m.p.Probe.Interval, m.p.Socket.Interval)
}

// congestedRecently reports whether a probe whose verdict comes at now may
// have been sent while the queue was congested: it then waited up to
// congestedWait, so congestion seen that much earlier still explains it.
func (m *Model) congestedRecently(now time.Time) bool {
	return m.congested(now) || m.congested(now.Add(-m.congestedWait()))
}

// ProbeWait is how long a probe sent at now should wait for its answer,
// given the probe's configured timeout: the timeout while the receive queue
// is shallow, the probe interval (when longer) while the socket monitor
// shows it congested, so that an answer from behind a full queue is seen.
// The daemon and the simulator size every probe's wait with it.
func (m *Model) ProbeWait(now time.Time, timeout time.Duration) time.Duration {
	if now.Before(m.clock) {
		now = m.clock
	}
	if m.congested(now) {
		return max(timeout, m.p.Probe.Interval, m.congestedWait())
	}
	return timeout
}

// congestedWait is the longest a probe waits behind a congested queue
// beyond the probe interval: HungAfter over Fall, so that Fall failed
// checks of a hung process still fit in HungAfter (0 without HungAfter).
//
// Waiting up to the probe interval only was not enough (measured in the
// lab's balance row, 2026-12-07 14:37 UTC: three NSDs offered 90% of the
// rate each answers with its queue full, from 4096 flows): the queue
// held 250-340 ms of queries, every probe (interval 200 ms) failed, and
// after HungAfter the hung rule withdrew servers that answered 90% of
// their capacity, 13-19 times each in 50 s, all three at once at the end
// of one run; 71.9-80.8% answered. Queries wait in that queue as long
// as the probe does, and a client waits a second or more for them, so
// an answer after 1.5 s still says the process is alive (and, above
// ProbeLatencyFull, that it is full).
func (m *Model) congestedWait() time.Duration {
	if m.p.HungAfter <= 0 || m.p.Fall <= 0 {
		return 0
	}
	return m.p.HungAfter / time.Duration(m.p.Fall)
}

// failureIsLoad reports whether a failed check at now counts as load rather
// than towards Fall: the queue is congested and a good check came less than
// HungAfter ago.
func (m *Model) failureIsLoad(now time.Time) bool {
	return m.p.HungAfter > 0 && m.congestedRecently(now) && !m.lastGood.IsZero() && now.Sub(m.lastGood) < m.p.HungAfter
}

// congestedHealth is the health reason while failed checks are taken as
// load (empty otherwise).
func (m *Model) congestedHealth() string {
	if !m.healthUp || m.bad < m.p.Fall {
		return ""
	}
	return fmt.Sprintf("probe failing (%d checks) behind a congested receive queue: counted as load; hung if no good check by %s (hung_after %v)",
		m.bad, m.lastGood.Add(m.p.HungAfter).UTC().Format(time.RFC3339Nano), m.p.HungAfter)
}

// hungHealth adds to a probe-down reason that the failures came behind a
// congested queue for HungAfter: the service counts as hung (empty
// otherwise).
func (m *Model) hungHealth(now time.Time) string {
	if m.p.HungAfter <= 0 || m.bad <= m.p.Fall || !m.congestedRecently(now) || m.lastGood.IsZero() {
		return ""
	}
	return fmt.Sprintf(", hung: no good check for %v behind a congested receive queue (hung_after %v)",
		now.Sub(m.lastGood).Round(time.Millisecond), m.p.HungAfter)
}
