package ndproxy

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// Defaults of the [nd] keys and of the derived timers (see Params).
const (
	DefaultMinGap       = 500 * time.Millisecond
	DefaultStandbyAfter = 30 * time.Second
	// DefaultSlot is the width of one slot of the send grid.
	DefaultSlot = 20 * time.Millisecond
	// DefaultAnswerSpread is the longest wait, per unit of weight, before
	// a solicited answer to a multicast Neighbor Solicitation.
	DefaultAnswerSpread = 10 * time.Millisecond
	// DefaultPeerTTL is how long a silent peer keeps its slot.
	DefaultPeerTTL = time.Hour
	// DefaultBaseMetric is the metric of weight 1 when a service says
	// none: the cost model's static metric and lowest default tier.
	DefaultBaseMetric = costmodel.DefaultStaticMetric
)

// Limits of the timers Validate accepts.
const (
	minMinGap = 50 * time.Millisecond
	maxMinGap = time.Minute
	// standbyTurns is how many gaps standby_after must span at least: a
	// server must not go to standby between two of its own turns.
	standbyTurns = 10
)

// MaxWeight caps a service's weight (Weight): a drained service
// (drain_action = "max-tier" advertises 65535) still takes a turn now
// and then, and the longest wait stays bounded.
const MaxWeight = 16

// drawCap cuts every random wait at drawCap times its mean, so the wait
// for a turn is bounded (MaxWait).
const drawCap = 4

// warmChecks is how many of its peers' NAs in a row must agree with its
// grid (Scheduler.checkGrid) before a server that joined a serving farm
// sends on the grid. Until then it sends off the slot starts, as a
// newcomer does. A server that restarts while its peers serve builds its
// grid from the NAs it hears, while its peers still have it in theirs
// (PeerTTL); until it has heard every peer, its grid (how many servers,
// its rank) differs from theirs, and a slot of its grid can start where a
// peer's does: two NAs one latency apart. An NA agrees with a grid that
// lacks a peer with a chance of about 1/n (n the servers of that grid) or
// not at all, except where n divides the farm's size and the ranks of the
// peers heard happen to match; then only while the peers not heard stay
// silent: in a farm of four equal servers, a restarted one that has heard
// one peer of three ends its warm-up early with a chance of (1/3)^8.
const warmChecks = 8

// warmPerServer ends the warm-up of a server whose peers all send off
// the grid too (Scheduler.warming: every server restarted in turn), once
// it has heard warmPerServer NAs per server of its grid (n) off the slot
// starts since the last new peer. Nobody's slot starts are then in use;
// should a peer it has not heard send on the grid later, that NA most
// likely disagrees with the grid and sends the server back to warming up
// (Scheduler.checkGrid). A longer count keeps every server off the grid
// longer, where two of them meet when their draws fall in the same slot
// within a latency (BenchmarkFarmGridGap, three servers at 2 ms
// restarted in turn 600 times: 102 intervals under min_gap with 8 and no
// re-check, 11 with 1 and the re-check, 6 before the warm-up).
const warmPerServer = 1

// earlySlots is the mean of the random part of an early turn (after a
// multicast Neighbor Solicitation), in slots per unit of weight.
const earlySlots = 2

// ErrInvalidParams is wrapped by every Validate error.
var ErrInvalidParams = errors.New("invalid ND parameters")

// Params tune a Scheduler. MinGap and StandbyAfter are the [nd] keys
// min_gap and standby_after; the others derive from them (zero: default).
type Params struct {
	// MinGap is the least time between two Neighbor Advertisements for
	// the service address on the link, whoever sends them.
	MinGap time.Duration
	// StandbyAfter: an active server that receives no query for this long
	// goes to standby and sends nothing.
	StandbyAfter time.Duration
	// Slot is the width of a slot of the send grid (default 20 ms): a
	// server sends only in its own slots, counted from the last NA on the
	// link, so two servers never send closer than one slot apart. It must
	// exceed the time a server needs to see a peer's NA (wire plus
	// scheduling latency).
	Slot time.Duration
	// CallAfter: an active server that has heard no peer's NA for this long
	// calls its peers out of standby with a Neighbor Solicitation (default
	// 20 × MinGap, at most StandbyAfter / 2), then again after twice as
	// long, and so on up to StandbyAfter.
	CallAfter time.Duration
	// PeerTTL: a peer not heard for this long leaves the send grid and is
	// no longer called (default 1 h). Servers agree on the grid only if
	// they know the same peers, so a peer that is merely quiet (heavily
	// loaded, in standby) must stay in it: a slot of a peer that has left
	// costs one Slot of delay per round.
	PeerTTL time.Duration
	// AnswerSpread: the solicited answer to a multicast Neighbor
	// Solicitation waits a random time up to AnswerSpread × weight, so the
	// lightest server tends to answer first (default 10 ms; RFC 4861
	// section 7.2.7 allows up to MAX_ANYCAST_DELAY_TIME, 1 s).
	AnswerSpread time.Duration
}

// DefaultParams returns the defaults: min_gap 500 ms, standby_after 30 s.
func DefaultParams() Params {
	return Params{MinGap: DefaultMinGap, StandbyAfter: DefaultStandbyAfter}.WithDefaults()
}

// WithDefaults fills the derived timers that are zero.
func (p Params) WithDefaults() Params {
	if p.Slot == 0 {
		p.Slot = DefaultSlot
	}
	if p.CallAfter == 0 {
		p.CallAfter = 20 * p.MinGap
		if half := p.StandbyAfter / 2; half > 0 && p.CallAfter > half {
			p.CallAfter = half
		}
	}
	if p.PeerTTL == 0 {
		p.PeerTTL = DefaultPeerTTL
	}
	if p.AnswerSpread == 0 {
		p.AnswerSpread = DefaultAnswerSpread
	}
	return p
}

// Validate checks the parameters (after WithDefaults). The field names in
// its errors are the config keys.
func (p Params) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %w", key, fmt.Sprintf(format, args...), ErrInvalidParams))
	}
	if err := CheckMinGap(p.MinGap); err != nil {
		errs = append(errs, fmt.Errorf("min_gap: %w", err))
	}
	if err := CheckStandbyAfter(p.StandbyAfter, p.MinGap); err != nil {
		errs = append(errs, fmt.Errorf("standby_after: %w", err))
	}
	if p.Slot <= 0 || p.Slot > p.MinGap {
		bad("slot", "must be above 0 and at most min_gap, got %v", p.Slot)
	}
	if p.CallAfter <= 0 {
		bad("call_after", "must be above 0, got %v", p.CallAfter)
	}
	if p.PeerTTL <= 0 {
		bad("peer_ttl", "must be above 0, got %v", p.PeerTTL)
	}
	if p.AnswerSpread < 0 || p.AnswerSpread*MaxWeight > time.Second {
		bad("answer_spread", "must be between 0 and %v, got %v", time.Second/MaxWeight, p.AnswerSpread)
	}
	return errors.Join(errs...)
}

// CheckMinGap checks a min_gap value: between 50 ms and 1 min.
func CheckMinGap(d time.Duration) error {
	if d < minMinGap || d > maxMinGap {
		return fmt.Errorf("%v is not between %v and %v: %w", d, minMinGap, maxMinGap, ErrInvalidParams)
	}
	return nil
}

// CheckStandbyAfter checks a standby_after value against min_gap: at
// least 10 gaps, so that a server never goes to standby between two of
// its own turns.
func CheckStandbyAfter(standby, minGap time.Duration) error {
	if standby < standbyTurns*minGap {
		return fmt.Errorf("%v is under %d × min_gap (%v): %w", standby, standbyTurns, standbyTurns*minGap, ErrInvalidParams)
	}
	return nil
}

// MaxWait is the longest an active server with weight w waits after the
// last NA on the link before it sends its own (with n servers in the send
// grid): the gap, the capped random draw and one round of the grid. It
// bounds how long the router keeps sending to a server that died without
// a word, as long as a server of weight w is active.
func (p Params) MaxWait(w float64, n int) time.Duration {
	n = max(n, 1)
	return p.MinGap + time.Duration(drawCap*w*float64(p.MinGap)) + time.Duration(n)*p.Slot
}

// MeanWait is the mean time from the last NA on the link to the next turn
// of an active server with weight w when no peer sends first: the gap
// plus the mean of the capped random draw, min_gap × w × (1 − e^−4).
// The send grid adds up to one round (n × Slot) to it.
func (p Params) MeanWait(w float64) time.Duration {
	return p.MinGap + time.Duration(w*float64(p.MinGap)*(1-math.Exp(-drawCap)))
}

// Weight turns the metric the cost model decided into a weight:
// metric / base, between 1 and MaxWeight. base is the metric of the
// service's lightest tier (its static metric without tiers); 0 means
// DefaultBaseMetric. With the default tiers 10, 20 and 40 the weights are
// 1, 2 and 4.
func Weight(metric, base uint16) float64 {
	if base == 0 {
		base = DefaultBaseMetric
	}
	w := float64(metric) / float64(base)
	if math.IsNaN(w) || w < 1 {
		return 1
	}
	return min(w, MaxWeight)
}
