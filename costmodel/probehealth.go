package costmodel

import (
	"fmt"
	"time"
)

// A probe that fails behind a congested or throttled receive queue
// (issue 14).
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
//     load. While a wait is longer than the interval the daemon's probe
//     loop starts another probe every interval (monitor.RunProbe), so a
//     probe the full queue dropped does not hold the next one back. While
//     the queue is shallow the wait is the timeout and probes do not
//     overlap, so a server hung while idle is found failed as fast as
//     before.
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
// A throttled process (issue 14, in the lab). A process capped by CFS
// bandwidth control (a cgroup's cpu.max, a container's CPU limit;
// Kubernetes' period is 100 ms as the kernel's default) runs its quota of
// each period and then sleeps until a later period: a quota overrun,
// caught only at the next scheduler tick (4 ms at HZ 250, 10 ms at HZ 100),
// is paid back from the next periods, so a process with a 1 ms quota that
// drains a backlog can sleep for four periods or more. A probe sent into
// such a sleep waits past its timeout behind a queue far from full, with
// no drop: in the lab (NSDs capped at 1%, 1% and 2% of a core, 90% of the
// farm's capacity) 18 of 23 withdrawals in a 50 s run were such failures,
// "probe down" after Fall. The socket monitor (every 100 ms) sees such a
// queue move: it fills while the process sleeps and shrinks when it runs.
// A queue only shrinks when the process reads it (the kernel never takes
// a datagram back; a socket that goes is reported gone), so a shrink is
// proof of life that a hung process cannot give. Hence a third rule and a
// wider wait:
//
//   - A failed check while the socket monitor shows the queue non-empty
//     (within the last probe or socket interval: the probe can be waiting
//     in it) and saw it shrink within drainWindow counts as load, like
//     one behind a congested queue, and is bounded by HungAfter the same
//     way.
//   - While the same holds and the queue is not congested, a probe waits
//     up to StaleAfter-1 probe intervals (400 ms by default; at most
//     drainWindow): the process is seen alive, and its answer from behind
//     a throttled sleep longer than the interval restarts the hung clock.
//     As behind a congested queue, another probe starts every interval
//     meanwhile, and a result still comes before the probe input goes
//     stale. (Behind a congested queue the wait is HungAfter/Fall, above:
//     a longer wait for a probe the full queue dropped, with no probe
//     started meanwhile, cost the simulator's farm 1/1/2/0.5 at load 0.9
//     one more withdrawal as hung and 84.43% answered against 86.86%;
//     with probes started every interval it answers as before.)
//   - A hung process reads nothing: its queue never shrinks after it
//     hangs, so its failures count towards Fall again drainWindow after
//     the last shrink (sooner than HungAfter, unless the queue is also
//     congested). A process hung while idle shows no shrink at all (its
//     queue is empty, or holds only the probes it does not read) and is
//     withdrawn after Fall failures as fast as before. A process that reads
//     but answers the probe wrongly keeps its queue empty: its failures
//     count towards Fall as before.
//
// The probe-down reason says what the socket monitor saw (the queue's
// fill and when it was last seen read), and a withdrawal after HungAfter
// or drainWindow says which bound ran out. In the lab with these rules
// (three runs at 90%), 2 withdrawals after Fall were left in three cells
// (18 in one before); the rest were overloaded servers withdrawn as hung
// behind a full queue (docs/cost-model-farm.md, "A throttled server").
//
// Rejected: estimating the queue's drain time to size the wait (the queue's
// bytes are known, the rate the process reads them at is not; the interval
// bounds any estimate anyway); the socket's drops alone as the congestion
// signal (a queue that is full but not yet overflowing delays the probe
// beyond the timeout with no drop counted); a longer timeout for every probe
// (a server hung while idle would be found a timeout later); a lower
// congestedFill (a throttled NSD's queue can be nearly empty when its
// probe fails, as full as a hung idle server's holding a few probes, which
// would then count as load until HungAfter: 3 s to find it, not 0.4 s);
// the queue not growing as the sign of life (a hung idle
// queue only grows by one probe a probe interval, so two socket samples in
// a row often see it unchanged); the shrink within the probe's own wait
// (a throttled process can sleep longer than the probe interval, so the
// failed probe's wait often holds no read at all); the cgroup's CPU
// figures (the [service.cpu] input, or cpu.stat's nr_throttled): they
// need the cgroup configured, which the socket-only configuration has
// not, and CPU used is not queries read: a process spinning in a livelock
// uses its quota and answers nothing.

// congestedFill is the receive-queue fill at or above which the socket
// counts as congested: a probe then waits behind half a buffer or more.
const congestedFill = 0.5

// drainWindow is how long after the socket monitor last saw the receive
// queue shrink a failed check behind a non-empty queue still counts as
// load: longer than a CFS-throttled process sleeps (a 1 ms quota overrun
// by a 4 ms tick sleeps about four 100 ms periods), short enough that a
// process hung under load is withdrawn well before HungAfter.
const drainWindow = time.Second

// noteQueue records what a socket sample shows about the receive queue:
// congestion (see congestedFill), a non-empty queue, and a queue smaller
// than in the previous sample (the process read from it).
func (m *Model) noteQueue(now time.Time, s Sample) {
	if s.Input != InputSocket {
		return
	}
	if !s.Present {
		// The next process starts afresh.
		m.fillSeen, m.drainedAt, m.queuedAt = false, time.Time{}, time.Time{}
		return
	}
	if s.Drops > 0 || s.RQueue >= congestedFill {
		m.congestedAt = now
	}
	if s.RQueue > 0 {
		m.queuedAt = now
	}
	if m.fillSeen && m.lastFill > 0 && s.RQueue < m.lastFill {
		m.drainedAt = now
	}
	m.lastFill, m.fillSeen = s.RQueue, true
}

// recent reports whether a socket sample at `at` is recent enough to
// explain a probe's failure at now: within the longer of the probe and
// socket intervals (a probe's failure comes at most a probe interval after
// it was sent; the socket is sampled every socket interval).
func (m *Model) recent(at, now time.Time) bool {
	return !at.IsZero() && now.Sub(at) <= max(m.p.Probe.Interval, m.p.Socket.Interval)
}

// congested reports whether the socket monitor showed the receive queue
// congested recently enough to explain a probe's failure at now.
func (m *Model) congested(now time.Time) bool { return m.recent(m.congestedAt, now) }

// draining reports whether the socket monitor shows the receive queue
// non-empty recently enough to explain a probe's failure at now, and saw
// the process read from it within drainWindow: a throttled process, not
// a hung one.
func (m *Model) draining(now time.Time) bool {
	return m.recent(m.queuedAt, now) && !m.drainedAt.IsZero() && now.Sub(m.drainedAt) <= max(drainWindow, m.p.Probe.Interval, m.p.Socket.Interval)
}

// congestedRecently reports whether a probe whose verdict comes at now may
// have been sent while the queue was congested: it then waited up to
// congestedWait, so congestion seen that much earlier still explains it
// (the window of congested, moved back by that wait; it holds congested(now)).
func (m *Model) congestedRecently(now time.Time) bool {
	return m.congested(now.Add(-m.congestedWait()))
}

// ProbeWait is how long a probe sent at now should wait for its answer,
// given the probe's configured timeout: the timeout while the receive queue
// is shallow; while the socket monitor shows it congested, the probe
// interval; else while it shows it non-empty and being read, StaleAfter-1
// probe intervals (at most drainWindow, at least the interval); never
// less than the timeout. So an answer from behind a full or throttled
// queue is seen. The daemon and the simulator size every probe's wait
// with it; a probe that waits past the interval delays the next.
func (m *Model) ProbeWait(now time.Time, timeout time.Duration) time.Duration {
	if now.Before(m.clock) {
		now = m.clock
	}
	iv := m.p.Probe.Interval
	switch {
	case m.congested(now):
		return max(timeout, iv, m.congestedWait())
	case m.draining(now):
		return max(timeout, iv, min(drainWindow, time.Duration(m.p.StaleAfter-1)*iv))
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

// failureIsLoad reports whether a failed check at now counts as load
// rather than towards Fall, and behind what: the queue is congested (or
// was, when the probe may have been sent: congestedRecently), or non-empty
// and being read, and a good check came less than HungAfter ago.
func (m *Model) failureIsLoad(now time.Time) (bool, string) {
	if m.p.HungAfter <= 0 || m.lastGood.IsZero() || now.Sub(m.lastGood) >= m.p.HungAfter {
		return false, ""
	}
	switch {
	case m.congestedRecently(now):
		return true, "a congested receive queue"
	case m.draining(now):
		return true, fmt.Sprintf("a receive queue the process reads in bursts (throttled: last seen read %v ago, at %.1f%% full)",
			now.Sub(m.drainedAt).Round(time.Millisecond), 100*m.lastFill)
	}
	return false, ""
}

// congestedHealth is the health reason while failed checks are taken as
// load (empty otherwise).
func (m *Model) congestedHealth() string {
	if !m.healthUp || m.bad < m.p.Fall || m.loadWhy == "" {
		return ""
	}
	return fmt.Sprintf("probe failing (%d checks) behind %s: counted as load; hung if no good check by %s (hung_after %v)",
		m.bad, m.loadWhy, m.lastGood.Add(m.p.HungAfter).UTC().Format(time.RFC3339Nano), m.p.HungAfter)
}

// downHealth is what to add to a probe-down reason, worked out when the
// failures took the service down at now: which bound ran out if they had
// counted as load until then, or else what the socket monitor showed of
// the receive queue. Nothing with HungAfter 0 (the rule before issue 14,
// reasons included) or without a socket sample.
func (m *Model) downHealth(now time.Time) string {
	if m.p.HungAfter <= 0 || !m.fillSeen {
		return ""
	}
	wasLoad := m.bad > m.p.Fall && !m.lastGood.IsZero()
	switch {
	case wasLoad && m.congestedRecently(now):
		return fmt.Sprintf(", hung: no good check for %v behind a congested receive queue (hung_after %v)",
			now.Sub(m.lastGood).Round(time.Millisecond), m.p.HungAfter)
	case wasLoad && m.draining(now):
		return fmt.Sprintf(", hung: no good check for %v behind a receive queue the process reads in bursts (hung_after %v)",
			now.Sub(m.lastGood).Round(time.Millisecond), m.p.HungAfter)
	}
	read := "never seen read"
	if !m.drainedAt.IsZero() {
		read = fmt.Sprintf("last seen read %v ago", now.Sub(m.drainedAt).Round(time.Millisecond))
	}
	if m.lastFill == 0 {
		return fmt.Sprintf(" (receive queue empty, %s)", read)
	}
	return fmt.Sprintf(" (receive queue %.1f%% full, %s)", 100*m.lastFill, read)
}
