package sim

import "time"

// A server capped by CFS bandwidth control (Config.CFSShare), as a
// container's CPU limit or the lab's cgroup caps it: the kernel lets the
// server's process run its quota, Capacities[i] × CFSShare × CFSPeriod of
// CPU time, in each CFSPeriod and stops it (throttles it) for the rest of
// the period once that quota is used up. Every server's process costs the
// same CPU per query; a server of twice the capacity has twice the quota
// (the lab's NSDs: 1%, 1% and 2% of a core).
//
// The model, one worker per server:
//
//   - While it runs, the process works at its full speed, BaseRate /
//     CFSShare queries a second (times Degraded[i]), so that its
//     throughput over many periods is still its capacity.
//   - Its runtime is charged while it is busy; each period adds the quota
//     back, up to one quota (no burst).
//   - A process that runs without a break is only caught out of quota at
//     a scheduler tick (every CFSTick): it overruns its quota by up to a
//     tick, and the overrun is a debt paid from the next periods' quota,
//     during which it stays throttled (the kernel gives a throttled group
//     at most its quota per period). With a 1 ms quota and a 4 ms tick
//     (HZ 250), a process that drains a backlog can sleep for up to about
//     four periods.
//   - A process that wakes up (a query arrives at an idle server) with no
//     runtime left is throttled at once, as the kernel's enqueue check
//     does; a query in service when the process is throttled waits, its
//     remaining service time kept, until the period that gives the
//     runtime back.
//
// The drain at the end of a run (sim.drain) runs every server unthrottled.
type cfsState struct {
	quota     time.Duration // runtime per period
	runtime   time.Duration // runtime left in this period; negative: a debt
	throttled bool
	gen       uint64        // departures pushed before the latest throttle are stale
	cur       query         // the query in service
	curEnd    time.Duration // when it ends if the process is not throttled
	remaining time.Duration // its service left when the process was throttled
}

// Defaults of the CFS model (Config.CFSPeriod, Config.CFSTick).
const (
	// DefaultCFSPeriod is the kernel's default cpu.max period (and
	// Kubernetes').
	DefaultCFSPeriod = 100 * time.Millisecond
	// DefaultCFSTick is the scheduler tick of a kernel built with HZ 250
	// (Debian's).
	DefaultCFSTick = 4 * time.Millisecond
)

// cfsOn reports whether the servers run under a CPU cap.
func (s *sim) cfsOn() bool { return s.cfg.CFSShare > 0 && !s.cfsLifted }

// startCFS gives every server a full quota and schedules its periods and
// ticks, each server at a random phase of its own.
func (s *sim) startCFS() {
	for _, sv := range s.servers {
		sv.cfs.quota = time.Duration(s.cfg.CFSShare * sv.res.Capacity * float64(s.cfg.CFSPeriod))
		sv.cfs.runtime = sv.cfs.quota
		s.events.push(event{at: time.Duration(s.cfsRand.Int64N(int64(s.cfg.CFSPeriod))), kind: evCFSPeriod, srv: int32(sv.index)})
		s.events.push(event{at: time.Duration(s.cfsRand.Int64N(int64(s.cfg.CFSTick))), kind: evCFSTick, srv: int32(sv.index)})
	}
}

// running is how many of sv's workers are running now: its busy ones,
// none while it is throttled.
func (s *sim) running(sv *server) int {
	if s.cfsOn() && sv.cfs.throttled {
		return 0
	}
	return sv.busy
}

// canStart reports whether an idle worker of sv may take a query now: a
// throttled process may not, and one out of runtime is throttled as it
// wakes up.
func (s *sim) canStart(sv *server) bool {
	if !s.cfsOn() {
		return true
	}
	if !sv.cfs.throttled && sv.cfs.runtime <= 0 {
		s.accountBusy(sv)
		sv.cfs.throttled = true
	}
	return !sv.cfs.throttled
}

// cfsStarted records the query sv's process took into service and returns
// the generation its departure event carries.
func (s *sim) cfsStarted(sv *server, q query) uint64 {
	if s.cfg.CFSShare > 0 {
		sv.cfs.cur, sv.cfs.curEnd = q, s.now+q.service
	}
	return sv.cfs.gen
}

// staleDeparture reports whether a departure event was cancelled by a
// throttle since it was pushed.
func (s *sim) staleDeparture(sv *server, e event) bool {
	return s.cfg.CFSShare > 0 && e.id != sv.cfs.gen
}

// cfsTick is a scheduler tick at sv: a process busy past its quota is
// throttled, its query in service paused.
func (s *sim) cfsTick(sv *server) {
	s.events.push(event{at: s.now + s.cfg.CFSTick, kind: evCFSTick, srv: int32(sv.index)})
	s.accountBusy(sv)
	if sv.cfs.throttled || sv.busy == 0 || sv.cfs.runtime > 0 {
		return
	}
	sv.cfs.throttled = true
	sv.cfs.gen++
	sv.cfs.remaining = sv.cfs.curEnd - s.now
}

// cfsPeriod starts a new period at sv: the quota comes back (paying any
// debt first), and a throttled process with runtime again resumes.
func (s *sim) cfsPeriod(sv *server) {
	s.events.push(event{at: s.now + s.cfg.CFSPeriod, kind: evCFSPeriod, srv: int32(sv.index)})
	s.accountBusy(sv)
	sv.cfs.runtime = min(sv.cfs.runtime+sv.cfs.quota, sv.cfs.quota)
	if sv.cfs.throttled && sv.cfs.runtime > 0 {
		s.resume(sv)
	}
}

// resume lets sv's throttled process run again: its paused query goes on,
// or it takes the next waiting one.
func (s *sim) resume(sv *server) {
	sv.cfs.throttled = false
	switch {
	case sv.busy > 0:
		sv.cfs.curEnd = s.now + sv.cfs.remaining
		s.events.push(event{at: sv.cfs.curEnd, kind: evDeparture, srv: int32(sv.index), id: sv.cfs.gen, q: sv.cfs.cur})
	case sv.wait.len() > 0 && !sv.hung:
		s.start(sv, sv.wait.pop())
	}
}

// liftCFS ends the CPU cap for the drain at the end of a run.
func (s *sim) liftCFS() {
	if !s.cfsOn() {
		return
	}
	for _, sv := range s.servers {
		if sv.cfs.throttled {
			s.resume(sv)
		}
	}
	s.cfsLifted = true
}
