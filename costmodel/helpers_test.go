package costmodel

import (
	"errors"
	"math"
	"testing"
	"time"
)

// t0 is the fake clock's origin; ms(n) is n milliseconds after it.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// sinceT0 turns a time back into milliseconds after t0 (-1 for zero).
func sinceT0(t time.Time) int {
	if t.IsZero() {
		return -1
	}
	return int(t.Sub(t0) / time.Millisecond)
}

var wd = Advert{Withdrawn: true}

func metric(m uint16) Advert { return Advert{Metric: m} }

// quick returns the defaults with smoothing off (a term equals its latest
// sample) and an external interval long enough never to go stale, so that
// tests can set the load figure exactly with ExternalLoad samples.
func quick() Params {
	p := DefaultParams()
	// The scripted tests were written for a down dwell equal to MinDwell,
	// doubled after each reversal; TestDefaultDownDwell covers the defaults.
	p.DownDwell, p.BackOff = 0, 2
	p.Smoothing = 0
	p.External.Interval = time.Hour
	return p
}

// at is one moment of a script: observe the samples at ms `at`, then Decide.
type at struct {
	ms int
	in []Sample
}

// step is the expected outcome of one scripted Decide.
type step struct {
	ms      int
	adv     Advert
	changed bool
	next    int // Decision.NextCheck in ms after t0, -1 for zero
}

// script runs the moments in order through a Model started at t0 and returns
// what each Decide said.
func script(t *testing.T, p Params, moments []at) (*Model, []step) {
	t.Helper()
	m := New("svc", p, t0)
	var got []step
	for _, mo := range moments {
		now := ms(mo.ms)
		for _, s := range mo.in {
			m.Observe(now, s)
		}
		d := m.Decide(now)
		got = append(got, step{ms: mo.ms, adv: d.Advert(), changed: d.Changed, next: sinceT0(d.NextCheck)})
	}
	return m, got
}

// change is a reported change reduced to its time and result.
type change struct {
	ms  int
	adv Advert
}

// live drives a Model as the daemon does: it observes each sample at its At
// and decides right after, and in between it decides whenever the previous
// decision's Wake comes due, until end. It is written independently of
// WhatIf so that the two can be compared.
func live(p Params, start, end time.Time, samples []Sample) (*Model, []Change, []timedDecision) {
	return liveHook(p, start, end, samples, nil)
}

// liveHook is live with a function called after every Decide.
func liveHook(p Params, start, end time.Time, samples []Sample, hook func(m *Model, now time.Time, d Decision)) (*Model, []Change, []timedDecision) {
	return liveFeed(p, start, end, samples, nil, hook)
}

// liveFeed is liveHook with a function called before every Decide (after
// the samples of that moment), to feed the model more input.
func liveFeed(p Params, start, end time.Time, samples []Sample, before func(m *Model, now time.Time),
	hook func(m *Model, now time.Time, d Decision)) (*Model, []Change, []timedDecision) {
	m := New("svc", p, start)
	var changes []Change
	var ds []timedDecision
	decide := func(now time.Time) Decision {
		if before != nil {
			before(m, now)
		}
		d := m.Decide(now)
		if hook != nil {
			hook(m, now, d)
		}
		ds = append(ds, timedDecision{now, d})
		if d.Changed {
			c, _ := m.LastChange()
			changes = append(changes, c)
		}
		return d
	}
	d := decide(start)
	now := start
	i := 0
	for {
		var next time.Time
		sample := false
		if wake := d.Wake(); wake.After(now) {
			next = wake
		}
		if i < len(samples) && (next.IsZero() || !next.Before(samples[i].At)) {
			next, sample = samples[i].At, true
		}
		if next.IsZero() || next.After(end) {
			break
		}
		now = next
		if sample {
			m.Observe(now, samples[i])
			i++
		}
		d = decide(now)
	}
	return m, changes, ds
}

type timedDecision struct {
	at time.Time
	d  Decision
}

func reduce(cs []Change) []change {
	out := make([]change, 0, len(cs))
	for _, c := range cs {
		out = append(out, change{sinceT0(c.At), c.To})
	}
	return out
}

// every returns samples made by f at each multiple of stepMS in [fromMS, toMS).
func every(fromMS, toMS, stepMS int, f func(ms int) []Sample) []Sample {
	var out []Sample
	for n := fromMS; n < toMS; n += stepMS {
		for _, s := range f(n) {
			out = append(out, s.WithTime(ms(n)))
		}
	}
	return out
}

var errTest = errors.New("test error")

func nan() float64 { return math.NaN() }

func mathExp(x float64) float64 { return math.Exp(x) }

func abs(x float64) float64 { return math.Abs(x) }
