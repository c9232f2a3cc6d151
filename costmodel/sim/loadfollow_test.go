package sim

import (
	"testing"
	"time"
)

// The simulated load LSA follows the engine's rule (ospf/serverload.go):
// past the step at once, a smaller move of more than a tenth of the step
// once it has lasted LoadSettle, a move back within that time never.
func TestLoadFollower(t *testing.T) {
	c := DefaultConfig()
	var f loadFollower
	s := time.Second
	for _, step := range []struct {
		at         time.Duration
		load, adv  float64
		want       float64
		adoptAfter bool
	}{
		{0, 0.30, 0, 0.30, true},        // nothing carried yet
		{1 * s, 0.40, 0.30, 0.40, true}, // past the step
		{2 * s, 0.37, 0.40, 0.40, false},
		{4 * s, 0.37, 0.40, 0.40, false},
		{7 * s, 0.37, 0.40, 0.37, true}, // off for LoadSettle (5 s)
		{8 * s, 0.34, 0.37, 0.37, false},
		{10 * s, 0.368, 0.37, 0.37, false}, // back within a tenth of the step
		{14 * s, 0.34, 0.37, 0.37, false},  // off again from 14 s
		{18 * s, 0.34, 0.37, 0.37, false},
		{19 * s, 0.34, 0.37, 0.34, true},
	} {
		if got := f.carry(&c, step.at, step.load, step.adv, step.at > 0); got != step.want {
			t.Errorf("at %s load %v carried %v: carry %v, want %v", step.at, step.load, step.adv, got, step.want)
		}
		if step.adoptAfter {
			f.adopted()
		}
	}
}
