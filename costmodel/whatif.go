package costmodel

import (
	"errors"
	"fmt"
	"time"
)

// WhatIfResult is the outcome of an offline run.
type WhatIfResult struct {
	// Decision is the decision at the end of the run.
	Decision Decision `json:"decision"`
	// Changes lists every change reported during the run, in order (not
	// limited to the 20 that Explanation.History keeps).
	Changes []Change `json:"changes"`
	// Decisions counts the Decide calls the run made.
	Decisions int `json:"decisions"`
	// Explanation describes the model at the end of the run.
	Explanation Explanation `json:"explanation"`
}

// WhatIf runs the samples through a new Model offline, exactly as the daemon
// drives a live one: the model starts at the first sample's time (or at
// until when there are none); each sample is observed at its At and followed
// by a Decide; between samples Decide is called whenever the previous
// Decision's Wake comes due (a wake-up due at a sample's time is served by
// the Decide after that sample). The run ends at until (zero: the last sample's
// time) with a final Decide and Explain.
//
// Samples must carry a time (Sample.At) and be in time order. p must pass
// Validate.
func WhatIf(name string, p Params, samples []Sample, until time.Time) (WhatIfResult, error) {
	return WhatIfFarm(name, p, samples, until, nil)
}

// WhatIfFarm is WhatIf with a farm view held constant: before every
// Decide the model observes farm as if just read (AsOf the decision's
// time), as the daemon hands it the view of its LSDB. A nil farm is
// WhatIf.
func WhatIfFarm(name string, p Params, samples []Sample, until time.Time, farm *FarmView) (WhatIfResult, error) {
	if err := p.Validate(); err != nil {
		return WhatIfResult{}, err
	}
	for i, s := range samples {
		switch {
		case s.At.IsZero():
			return WhatIfResult{}, fmt.Errorf("sample[%d].at: %w", i, errNoTime)
		case i > 0 && s.At.Before(samples[i-1].At):
			return WhatIfResult{}, fmt.Errorf("sample[%d].at: %s is before sample[%d].at %s: %w",
				i, s.At.Format(time.RFC3339Nano), i-1, samples[i-1].At.Format(time.RFC3339Nano), errOrder)
		case s.Input < InputSocket || int(s.Input) >= len(inputNames):
			return WhatIfResult{}, fmt.Errorf("sample[%d].input: unknown input %d", i, uint8(s.Input))
		}
	}
	start := until
	if len(samples) > 0 {
		start = samples[0].At
		last := samples[len(samples)-1].At
		if until.IsZero() {
			until = last
		} else if until.Before(last) {
			return WhatIfResult{}, fmt.Errorf("until %s is before the last sample %s: %w",
				until.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano), errOrder)
		}
	}
	if start.IsZero() {
		return WhatIfResult{}, fmt.Errorf("what-if: no samples and no end time: %w", errNoTime)
	}

	var r WhatIfResult
	m := New(name, p, start)
	decide := func(at time.Time) Decision {
		if farm != nil {
			v := *farm
			v.AsOf = at
			m.ObserveFarm(at, v)
		}
		d := m.Decide(at)
		r.Decisions++
		if d.Changed {
			c, _ := m.LastChange()
			r.Changes = append(r.Changes, c)
		}
		return d
	}
	d := decide(start)
	at := start
	// catchUp calls Decide at every wake-up due before t (inclusive: at t).
	catchUp := func(t time.Time, inclusive bool) {
		for w := d.Wake(); !w.IsZero() && w.After(at) && (w.Before(t) || inclusive && w.Equal(t)); w = d.Wake() {
			d, at = decide(w), w
		}
	}
	for _, s := range samples {
		// A wake-up due at the very time of a sample is served by the
		// Decide that follows the sample.
		catchUp(s.At, false)
		m.Observe(s.At, s)
		d, at = decide(s.At), s.At
	}
	catchUp(until, true)
	r.Decision = decide(until)
	r.Explanation = m.Explain(until)
	return r, nil
}

var (
	errNoTime = errors.New("time missing")
	errOrder  = errors.New("times out of order")
)
