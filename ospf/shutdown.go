package ospf

import "time"

// beginShutdown starts the graceful stop: every self-originated LSA is
// flushed (premature aging, RFC 2328 14.1) as soon as pacing allows, so
// the router drops this server's routes at once instead of after the dead
// interval.
func (e *engine) beginShutdown(now time.Time) {
	if e.shutdown.active {
		return
	}
	e.shutdown.active = true
	e.shutdown.deadline = now.Add(e.cfg.FlushTimeout)
	e.log.Info("shutting down: flushing own LSAs", "count", len(e.own), "timeout", e.cfg.FlushTimeout)
	for k := range e.own {
		e.want(k, nil)
	}
}

// checkShutdown ends the shutdown once every flush is acknowledged, or at
// the deadline, with a Hello that lists no neighbor.
func (e *engine) checkShutdown(now time.Time) {
	if !e.shutdown.active || e.shutdown.done {
		return
	}
	if now.Before(e.shutdown.deadline) && !e.flushComplete() {
		return
	}
	if !now.Before(e.shutdown.deadline) {
		e.log.Warn("shutdown: flush not acknowledged in time", "timeout", e.cfg.FlushTimeout)
	}
	if e.linkUp && e.ifState != ifDown {
		e.sendFloodQ()
		e.flushDelayedAcks(now)
		e.sendHello(now, true)
	}
	e.shutdown.done = true
	e.log.Info("shutdown complete")
}

// flushComplete reports whether no own LSA is waiting to be flushed or
// for the acknowledgement of its flush.
func (e *engine) flushComplete() bool {
	adjacent := false
	for _, n := range e.nbrs {
		if n.state >= nbrExchange {
			adjacent = true
		}
		for k := range n.rxmt {
			if k.AdvRouter == e.cfg.RouterID {
				return false
			}
		}
	}
	if !adjacent {
		return true
	}
	for _, o := range e.own {
		if o.dirty {
			return false
		}
	}
	return true
}
