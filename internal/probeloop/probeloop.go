// Package probeloop holds the rule by which the daemon's probe loop
// (monitor.RunProbe) starts probes, so that the farm simulator
// (costmodel/sim), which models that loop, follows the same rule. It
// imports nothing: the sampler and the cost model's simulator share it
// without either importing the other.
package probeloop

import "time"

// MaxOpen bounds the probes the loop has open at once: a tick finding as
// many open starts none.
const MaxOpen = 16

// Overlaps reports whether a probe that waits w for its answer may start
// while earlier ones are still open: only a wait beyond both the probe
// interval and the timeout (the cost model's ProbeWait behind a congested
// receive queue, issue 14) does. A probe behind a full queue may be
// dropped there; waiting for it alone would leave the server with no good
// check for the whole wait.
func Overlaps(w, interval, timeout time.Duration) bool {
	return w > max(interval, timeout)
}

// Action is what the probe ticker does.
type Action uint8

const (
	// Skip starts nothing: MaxOpen overlapping probes are open.
	Skip Action = iota
	// Start starts a probe now.
	Start
	// Due starts the next probe when the open ones have ended (at the
	// verdict that leaves none open).
	Due
)

// Tick says what the ticker, firing every interval, does with open probes
// open and w the wait of a probe started now: start one when none is
// open, or alongside the open ones when it Overlaps (at most MaxOpen);
// otherwise the next probe is due at the open one's verdict.
func Tick(open int, w, interval, timeout time.Duration) Action {
	overlaps := Overlaps(w, interval, timeout)
	switch {
	case open == 0 || overlaps && open < MaxOpen:
		return Start
	case !overlaps:
		return Due
	}
	return Skip
}
