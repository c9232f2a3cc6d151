package sim

import (
	"fmt"
	"time"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/probeloop"
)

// startModels gives every server its cost model and schedules its first
// socket sample (and probe) at a random phase within one interval, as
// independent daemons would.
func (s *sim) startModels() {
	p := s.cfg.Params
	s.ecmpTime = make([]time.Duration, len(s.servers)+1)
	for _, sv := range s.servers {
		p.Capacity = sv.res.Capacity
		sv.model = costmodel.New(fmt.Sprintf("server%d", sv.index), p, wall(0))
		sv.res.RouteTime = map[costmodel.Advert]time.Duration{}
		phase := time.Duration(s.control.Int64N(int64(p.Socket.Interval)))
		s.events.push(event{at: phase, kind: evSample, srv: int32(sv.index)})
		if p.Probe.Enabled {
			phase := time.Duration(s.control.Int64N(int64(p.Probe.Interval)))
			s.events.push(event{at: phase, kind: evProbe, srv: int32(sv.index)})
		}
	}
}

// sample feeds the model one socket reading: receive-queue fill and the
// drop counter's delta since the previous reading.
func (s *sim) sample(sv *server) {
	fill := float64(sv.wait.len()) / float64(s.cfg.Buffer)
	delta := sv.drops - sv.lastDrops
	sv.lastDrops = sv.drops
	sv.model.Observe(wall(s.now), costmodel.SocketSample(fill, delta).WithSource("sim socket sample"))
	s.decide(sv)
	if s.router != nil {
		s.routerSampled(sv)
	}
	s.events.push(event{at: s.now + s.cfg.Params.Socket.Interval, kind: evSample, srv: int32(sv.index)})
}

// probeTick is the server's probe ticker (every Probe.Interval), by the
// daemon's probe loop's rule (internal/probeloop, which monitor.RunProbe
// follows): a probe starts when none is open, or alongside the open ones
// when the cost model's wait is beyond both the interval and the timeout
// (behind a congested queue; at most probeloop.MaxOpen); otherwise the
// next probe starts at the open one's verdict.
func (s *sim) probeTick(sv *server) {
	s.events.push(event{at: s.now + s.cfg.Params.Probe.Interval, kind: evProbe, srv: int32(sv.index)})
	w := s.probeWaitNow(sv)
	switch probeloop.Tick(len(sv.probes), w, s.cfg.Params.Probe.Interval, s.cfg.ProbeTimeout) {
	case probeloop.Start:
		s.sendProbe(sv, w)
	case probeloop.Due:
		sv.probeDue = true
	}
}

// probeWaitNow is the wait of a probe sent now: the cost model's
// ProbeWait, as the daemon's probe asks it (ProbeTimeout with
// FixedProbeWait).
func (s *sim) probeWaitNow(sv *server) time.Duration {
	if s.cfg.FixedProbeWait {
		return s.cfg.ProbeTimeout
	}
	return sv.model.ProbeWait(wall(s.now), s.cfg.ProbeTimeout)
}

// sendProbe queues a probe at the server, behind the queries already
// waiting, and starts its timeout after wait.
func (s *sim) sendProbe(sv *server, wait time.Duration) {
	s.probeSeq++
	sv.probes[s.probeSeq] = wait
	if s.now >= s.cfg.Warmup {
		sv.res.Probes++
	}
	q := query{
		arrived: s.now,
		service: expDuration(s.control, 1/sv.rate),
		probe:   s.probeSeq,
	}
	s.offer(sv, q) // a dropped probe times out
	s.events.push(event{at: s.now + wait, kind: evProbeTimeout, srv: int32(sv.index), id: s.probeSeq})
}

// probeClosed ends an open probe: a probe due at its verdict starts now.
func (s *sim) probeClosed(sv *server, id uint64) {
	delete(sv.probes, id)
	if sv.probeDue && len(sv.probes) == 0 {
		sv.probeDue = false
		s.sendProbe(sv, s.probeWaitNow(sv))
	}
}

// probeDone handles a probe's answer: good if the probe is open and the
// answer in time (an answer after its wait was already counted as a
// failure).
func (s *sim) probeDone(sv *server, q query) {
	wait, open := sv.probes[q.probe]
	if !open {
		return
	}
	latency := s.now - q.arrived
	if latency > wait {
		return
	}
	s.probeClosed(sv, q.probe)
	sv.model.Observe(wall(s.now), costmodel.ProbeResult(true, latency).WithSource("sim probe"))
	s.decide(sv)
}

func (s *sim) probeTimeout(sv *server, id uint64) {
	if _, open := sv.probes[id]; !open {
		return
	}
	s.probeClosed(sv, id)
	if s.now >= s.cfg.Warmup {
		sv.res.ProbeFailures++
	}
	sv.model.Observe(wall(s.now), costmodel.ProbeResult(false, 0).WithSource("sim probe timeout"))
	s.decide(sv)
}

// decide asks the model, sends a reported change towards the router and
// schedules the model's next wake-up.
func (s *sim) decide(sv *server) {
	switch {
	case s.farmOn():
		sv.model.ObserveFarm(wall(s.now), s.farmView(sv))
	case s.router != nil && s.cfg.RouterMetrics == RouterHeldTiers:
		sv.model.ObserveFarm(wall(s.now), agentView(s.now, routerID(sv.index)))
	}
	d := sv.model.Decide(wall(s.now))
	if d.Withdraw && sv.hung && sv.res.HungWithdrawnAfter == 0 {
		sv.res.HungWithdrawnAfter = max(s.now-s.cfg.HangAt[sv.index], 1)
	}
	if d.Changed {
		if s.now >= s.cfg.Warmup {
			sv.res.MetricChanges++
			sv.changeAt = append(sv.changeAt, s.now)
		}
		at := s.floodDelay(sv)
		s.events.push(event{at: at, kind: evRoute, srv: int32(sv.index), adv: d.Advert()})
		if s.cfg.OnChange != nil {
			c, _ := sv.model.LastChange()
			s.cfg.OnChange(Change{At: s.now, RouteAt: at, Server: sv.index, Model: c})
		}
	}
	if s.farmOn() {
		s.originateLoad(sv, d)
	}
	if w := d.Wake(); !w.IsZero() {
		at := w.Sub(epoch)
		if at > s.now && at != sv.wakeAt {
			sv.wakeAt = at
			sv.wakeGen++
			s.events.push(event{at: at, kind: evWake, srv: int32(sv.index), id: sv.wakeGen})
		}
	}
}

// deliverRoute makes the router forward by a server's new advertisement.
func (s *sim) deliverRoute(sv *server, a costmodel.Advert) {
	s.accountRoute(sv)
	s.accountECMP()
	sv.route = a
	s.eligible = s.eligible[:0]
	best := -1
	for _, o := range s.servers {
		if o.route.Withdrawn {
			continue
		}
		switch m := int(o.route.Metric); {
		case best < 0 || m < best:
			best = m
			s.eligible = append(s.eligible[:0], o.index)
		case m == best:
			s.eligible = append(s.eligible, o.index)
		}
	}
	if s.router != nil {
		s.routerUpdate()
	}
}

// accountRoute adds the time the router held sv's current advertisement
// within the measured window.
func (s *sim) accountRoute(sv *server) {
	from := max(sv.routeSince, s.cfg.Warmup)
	if s.now > from {
		sv.res.RouteTime[sv.route] += s.now - from
	}
	sv.routeSince = s.now
}

// accountECMP adds the time the router's lowest-metric set had its current
// size within the measured window.
func (s *sim) accountECMP() {
	from := max(s.ecmpSince, s.cfg.Warmup)
	if s.now > from {
		s.ecmpTime[len(s.eligible)] += s.now - from
	}
	s.ecmpSince = s.now
}
