package ospf

import (
	"context"
	"log/slog"
	"maps"
	"time"
)

// counters count what the engine sent, received and dropped.
type counters struct {
	packetsIn, packetsOut map[string]uint64
	dropped               map[string]uint64
	lsasIn, lsasOut       uint64
	retransmits           uint64
	originations          uint64
	// drUnlistedRestarts counts adjacencies with the DR restarted because
	// its Network-LSA did not list us (stuck_exchange.go).
	drUnlistedRestarts uint64
	// Early tries of withdrawals (early.go): sent before pacing allowed,
	// acknowledged before the routers' window ended, sent again at its
	// end.
	earlyTries, earlyTaken, earlyResends uint64
	// nbrEvicted counts neighbors dropped from a full table to make room
	// (neighbor_table.go).
	nbrEvicted uint64
}

func newCounters() counters {
	return counters{
		packetsIn:  make(map[string]uint64),
		packetsOut: make(map[string]uint64),
		dropped:    make(map[string]uint64),
	}
}

func (c *counters) snapshot() Counters {
	return Counters{
		PacketsIn:          maps.Clone(c.packetsIn),
		PacketsOut:         maps.Clone(c.packetsOut),
		Dropped:            maps.Clone(c.dropped),
		LSAsIn:             c.lsasIn,
		LSAsOut:            c.lsasOut,
		Retransmits:        c.retransmits,
		Originations:       c.originations,
		DRUnlistedRestarts: c.drUnlistedRestarts,
		EarlyTries:         c.earlyTries,
		EarlyTaken:         c.earlyTaken,
		EarlyResends:       c.earlyResends,
		NeighborsEvicted:   c.nbrEvicted,
	}
}

// dropLog rate-limits log lines about dropped input: at most one line per
// reason every dropLogEvery, carrying how many were suppressed.
type dropLog struct {
	log  *slog.Logger
	last map[string]time.Time
	held map[string]int
	told map[string]bool // reasons dropOnce has logged at Warn
}

const dropLogEvery = 10 * time.Second

// note logs msg for reason unless one was logged less than dropLogEvery
// before now. A zero now always logs.
func (d *dropLog) note(now time.Time, reason, msg string, args ...any) {
	if d.last == nil {
		d.last = make(map[string]time.Time)
		d.held = make(map[string]int)
	}
	if !now.IsZero() {
		if t, ok := d.last[reason]; ok && now.Sub(t) < dropLogEvery {
			d.held[reason]++
			return
		}
		d.last[reason] = now
	}
	if n := d.held[reason]; n > 0 {
		args = append(args, "suppressed", n)
		d.held[reason] = 0
	}
	d.log.Warn(msg, append([]any{"reason", reason}, args...)...)
}

// drop counts and logs a dropped packet or LSA.
func (e *engine) drop(now time.Time, reason, msg string, args ...any) {
	e.cnt.dropped[reason]++
	e.drops.note(now, reason, msg, args...)
}

// dropOnce counts a dropped packet like drop, but logs only the first
// drop of each reason at Warn and the others at Debug: for input that is
// nothing but noise once known (a speaker with router ID 0.0.0.0).
func (e *engine) dropOnce(reason, msg string, args ...any) {
	e.cnt.dropped[reason]++
	if e.drops.told == nil {
		e.drops.told = make(map[string]bool)
	}
	level := slog.LevelDebug
	if !e.drops.told[reason] {
		e.drops.told[reason] = true
		level = slog.LevelWarn
	}
	e.log.Log(context.Background(), level, msg, append([]any{"reason", reason}, args...)...)
}
