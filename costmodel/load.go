package costmodel

import (
	"math"
	"time"
)

// ewma is an exponential moving average over irregularly spaced samples: a
// sample dt after the previous one gets weight 1-exp(-dt/tau).
type ewma struct {
	v   float64
	at  time.Time
	set bool
}

func (e *ewma) update(x float64, at time.Time, tau time.Duration) {
	if !e.set || tau <= 0 {
		*e = ewma{v: x, at: at, set: true}
		return
	}
	dt := at.Sub(e.at)
	if dt < 0 {
		dt = 0
	}
	alpha := 1 - math.Exp(-float64(dt)/float64(tau))
	e.v += alpha * (x - e.v)
	e.at = at
}

func (e *ewma) reset() { *e = ewma{} }

// termKind names one load term.
type termKind uint8

const (
	termRQueue termKind = iota
	termDrops
	termLatency
	termExternal
	termCPU
	numTerms
)

var termNames = [numTerms]string{"rqueue", "drops", "latency", "external", "cpu"}

var termInputs = [numTerms]InputKind{InputSocket, InputSocket, InputProbe, InputExternal, InputCPU}

// loadInfo is the load figure and how it was made.
type loadInfo struct {
	load   float64
	source string // name of the term that set it, or "none"
	terms  [numTerms]Term
}

// staleWindow is how old an input's latest sample may get before it is stale
// (0 for inputs that never go stale: the drain inputs are states, not
// measurements).
func (m *Model) staleWindow(k InputKind) time.Duration {
	var iv time.Duration
	switch k {
	case InputSocket:
		iv = m.p.Socket.Interval
	case InputProbe:
		iv = m.p.Probe.Interval
	case InputExternal:
		iv = m.p.External.Interval
	case InputCPU:
		iv = m.p.CPU.Interval
	default:
		return 0
	}
	return time.Duration(m.p.StaleAfter) * iv
}

// staleWindowAt is staleWindow at now: for the probe, while a probe sent
// behind a congested queue may still wait for its answer (ProbeWait: up to
// congestedWait after the queue was last seen congested), plus that wait,
// since a result that late is not stale.
func (m *Model) staleWindowAt(k InputKind, now time.Time) time.Duration {
	w := m.staleWindow(k)
	if k == InputProbe && w > 0 && m.congestedRecently(now) {
		w += m.congestedWait()
	}
	return w
}

// stale reports whether input k, seen last at `at`, is stale at now. An input
// is stale from at + StaleAfter × interval on (staleWindowAt).
func (m *Model) stale(k InputKind, at, now time.Time) bool {
	w := m.staleWindowAt(k, now)
	return w > 0 && now.Sub(at) >= w
}

// load computes the load figure at now from the smoothed terms of the fresh
// inputs (see Weights). It does not change the model.
func (m *Model) load(now time.Time) loadInfo {
	var li loadInfo
	li.source = "none"
	weights := [numTerms]float64{m.p.Weights.RQueue, m.p.Weights.Drops, m.p.Weights.Latency, m.p.Weights.External, m.p.Weights.CPU}
	avgs := [numTerms]*ewma{&m.rq, &m.drops, &m.lat, &m.ext, &m.cpu}
	for t := range numTerms {
		in := &m.in[termInputs[t]]
		term := Term{Name: termNames[t], Input: termInputs[t], Weight: weights[t]}
		switch {
		case !in.seen:
			term.Why = "no sample yet"
		case m.stale(termInputs[t], in.at, now):
			term.Why = "stale"
		case termInputs[t] == InputSocket && !in.last.Present:
			term.Why = "socket gone"
		case termInputs[t].figureOrError() && in.last.Err != "":
			term.Why = "error: " + in.last.Err
		case !avgs[t].set:
			term.Why = "no value"
		case weights[t] == 0:
			term.Smoothed = avgs[t].v
			term.Why = "weight 0"
		default:
			term.Smoothed = avgs[t].v
			term.Value = clampLoad(weights[t]*avgs[t].v, MaxLoad)
			term.Used = true
			if li.source == "none" || term.Value > li.load {
				li.load = term.Value
				li.source = term.Name
			}
		}
		li.terms[t] = term
	}
	return li
}

// observeLoad feeds a sanitized sample into the load terms. wasStale says the
// input had gone stale before this sample (its averages restart).
func (m *Model) observeLoad(now time.Time, s Sample, prev inputState, wasStale bool) {
	tau := m.p.Smoothing
	switch s.Input {
	case InputSocket:
		if !s.Present {
			m.rq.reset()
			m.drops.reset()
			return
		}
		restart := !prev.seen || !prev.last.Present || wasStale
		if restart {
			m.rq.reset()
			m.drops.reset()
		}
		dt := m.p.Socket.Interval
		if !restart {
			dt = max(now.Sub(prev.at), time.Millisecond)
		}
		rate := float64(s.Drops) / dt.Seconds()
		m.rq.update(s.RQueue, now, tau)
		m.drops.update(clampLoad(rate/m.p.DropRateFull, MaxLoad), now, tau)
	case InputProbe:
		if wasStale {
			m.lat.reset()
		}
		x := 1.0 // a failed check counts as a saturated service
		if s.OK {
			x = clampLoad(float64(s.Latency)/float64(m.p.ProbeLatencyFull), MaxLoad)
		}
		m.lat.update(x, now, tau)
	case InputExternal:
		observeFigure(&m.ext, now, s, prev, wasStale, tau)
	case InputCPU:
		observeFigure(&m.cpu, now, s, prev, wasStale, tau)
	}
}

// observeFigure feeds a sample of an input that reports a load figure or
// an error (external, cpu) into its average: an error leaves the term out,
// and the average restarts after an error or a stale spell.
func observeFigure(avg *ewma, now time.Time, s Sample, prev inputState, wasStale bool, tau time.Duration) {
	if s.Err != "" {
		avg.reset()
		return
	}
	if wasStale || prev.last.Err != "" {
		avg.reset()
	}
	avg.update(s.Load, now, tau)
}
