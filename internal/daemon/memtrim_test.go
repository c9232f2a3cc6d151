package daemon

import (
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"testing"
)

// sink keeps the allocations below from being optimized away.
var sink [][]byte

// A burst of garbage well above the slack, some of it held by a sync.Pool,
// is collected and returned by the next check: the held heap comes back
// near its level. A quiet heap is left alone.
func TestTrimAfterBurst(t *testing.T) {
	debug.FreeOSMemory()
	tr := newTrimmer(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if tr.check() {
		t.Fatalf("trimmed a quiet heap (held %d, level %d)", heapHeld(), tr.level)
	}
	base := tr.level
	for range 64 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	// A pool keeps what it holds through one collection (encoding/json
	// pools its encoder's buffer this way).
	var pool sync.Pool
	pool.Put(make([]byte, 16<<20))
	if held := heapHeld(); held < base+trimSlack {
		t.Fatalf("a 64 MiB burst left the heap at %d bytes, level %d: the test proves nothing", held, base)
	}
	if !tr.check() {
		t.Fatal("no trim after a 64 MiB burst")
	}
	if tr.level >= base+trimSlack {
		t.Errorf("heap held %d bytes after the trim, want near the level %d before the burst", tr.level, base)
	}
	if tr.check() {
		t.Error("trimmed again right after a trim")
	}
}
