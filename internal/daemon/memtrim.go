package daemon

import (
	"context"
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Giving memory back after a burst.
//
// A database exchange with a router that holds a large database, and the
// router's re-flood of all of it once Full, allocate tens of MB that are
// garbage a moment later (received packets, parsed bodies, requests,
// acknowledgements); so does a large control answer (`anycostd lsdb` of
// 20,000 LSAs). The Go runtime collects that garbage at its next cycle,
// which an idle daemon, allocating little, reaches late (the runtime
// forces one every 2 minutes), and it returns freed pages to the system a
// little at a time. With FRR holding 20,000 AS-external LSAs, RSS went
// from 29 MB at Full to 57 MB within 2 s and stayed there (RELIABILITY.md,
// "Memory after a large exchange").
//
// trimMemory looks every trimInterval at the heap memory the runtime
// holds (objects live or dead, free pages not yet returned, unused space in
// spans). When that has grown by trimSlack or more since the last trim (or
// the smallest figure seen since), it collects twice and returns the free
// pages at once (runtime.GC, then debug.FreeOSMemory) and takes the result
// as the new level. Twice, because a sync.Pool keeps what was put in it
// through one collection: encoding/json pools its encoder's buffer, 8 MB
// after `anycostd lsdb` of 20,000 LSAs, and one collection left RSS 11 MB
// above its level before the answer. The
// live heap of the runtime's last cycle is no guide here: a burst that was
// still alive at that cycle (requests of the exchange, packets in flight)
// counts as live until the next one. In steady state the heap of an idle
// daemon swings by a few MB between cycles (the runtime's smallest goal is
// 4 MB), below the slack; with a large database the swing can exceed it,
// and the trim then replaces a cycle the runtime was about to run anyway.
const (
	trimInterval = 5 * time.Second
	trimSlack    = 8 << 20
)

// heapSamples are the runtime/metrics figures of the heap memory the
// runtime holds.
var heapSamples = []string{
	"/memory/classes/heap/objects:bytes", // live and dead objects not yet swept
	"/memory/classes/heap/free:bytes",    // free pages not yet returned to the system
	"/memory/classes/heap/unused:bytes",  // unused space in spans holding objects
}

// heapHeld reads the heap memory the runtime holds.
func heapHeld() uint64 {
	s := make([]metrics.Sample, len(heapSamples))
	for i, name := range heapSamples {
		s[i].Name = name
	}
	metrics.Read(s)
	var sum uint64
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			sum += s[i].Value.Uint64()
		}
	}
	return sum
}

// trimmer remembers the level a trim is measured from.
type trimmer struct {
	level uint64
	log   *slog.Logger
}

func newTrimmer(log *slog.Logger) *trimmer { return &trimmer{level: heapHeld(), log: log} }

// check trims when the held heap is trimSlack above the level, and reports
// whether it did.
func (t *trimmer) check() bool {
	held := heapHeld()
	if held < t.level+trimSlack {
		t.level = min(t.level, held)
		return false
	}
	runtime.GC()
	debug.FreeOSMemory()
	t.level = heapHeld()
	t.log.Debug("returned memory to the system after a burst", "heap_held_before", held, "heap_held_after", t.level)
	return true
}

// trimMemory returns memory to the system after bursts until ctx ends.
func trimMemory(ctx context.Context, log *slog.Logger) {
	tr := newTrimmer(log)
	tick(ctx, trimInterval, func() { tr.check() })
}

// tick calls fn every interval until ctx is done.
func tick(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
