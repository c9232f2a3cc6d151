package monitor

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrBadCounter is wrapped by the errors about a published counter that is
// not one or two numbers (see counterReader).
var ErrBadCounter = errors.New("not a counter (a number of at least 0, optionally followed by the counter's clock in seconds)")

// counterReader turns successive readings of a counter a service
// publishes (NSD's num.queries, Unbound's total.num.queries, ...) into
// loads: the counter's growth per second over fullRate, the rate the
// operator counts as load 1.0 (the service's capacity, in the counter's
// unit per second). A rate over what the service can take is the
// utilisation the router agent's weights equalise
// (docs/router-agent.md), exact where a CPU or queue figure is only a
// symptom.
//
// A reading is "COUNT" or "COUNT SECONDS": SECONDS is the counter's own
// clock when it was read (NSD's time.boot): a service that answers the
// read late (a CPU-throttled one waits out its CFS period) then does not
// skew the rate, as the time of the read would. Without it, the time
// between the reads counts.
type counterReader struct {
	fullRate float64
	have     bool
	count    float64
	clock    float64 // the counter's clock, or the read's time in seconds since base
	stamped  bool    // the previous reading had its own clock
	base     time.Time
}

// reset makes the next reading a new baseline (after a failed read).
func (r *counterReader) reset() { r.have = false }

// read takes one reading at now. ok says a load was measured (false on a
// baseline: the first reading, one after a reset, one whose counter or
// clock went back, as when the service restarted, or one whose clock
// has the previous one's form changed); err says the text is not a
// counter (the next reading is a new baseline).
func (r *counterReader) read(text string, now time.Time) (load float64, ok bool, err error) {
	count, clock, stamped, err := parseCounter(text)
	if err != nil {
		r.have = false
		return 0, false, err
	}
	if !stamped {
		if r.base.IsZero() {
			r.base = now
		}
		clock = now.Sub(r.base).Seconds()
	}
	prevCount, prevClock, had := r.count, r.clock, r.have && r.stamped == stamped
	r.count, r.clock, r.stamped, r.have = count, clock, stamped, true
	if !had || count < prevCount || clock < prevClock {
		return 0, false, nil
	}
	dt := clock - prevClock
	if dt <= 0 {
		// The same snapshot again (a service that refreshes its figures
		// less often than it is read): keep the older baseline.
		r.count, r.clock = prevCount, prevClock
		return 0, false, nil
	}
	return (count - prevCount) / dt / r.fullRate, true, nil
}

// parseCounter parses "COUNT" or "COUNT SECONDS" (white space around and
// between).
func parseCounter(text string) (count, clock float64, stamped bool, err error) {
	f := strings.Fields(text)
	bad := func() (float64, float64, bool, error) {
		return 0, 0, false, fmt.Errorf("%q: %w", clip(strings.TrimSpace(text)), ErrBadCounter)
	}
	if len(f) < 1 || len(f) > 2 {
		return bad()
	}
	num := func(s string) (float64, bool) {
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil && v >= 0 && !math.IsInf(v, 0) && !math.IsNaN(v)
	}
	var good bool
	if count, good = num(f[0]); !good {
		return bad()
	}
	if len(f) == 2 {
		if clock, good = num(f[1]); !good {
			return bad()
		}
		stamped = true
	}
	return count, clock, stamped, nil
}
