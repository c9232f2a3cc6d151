package costmodel

import (
	"strings"
	"testing"
	"time"
)

// The lab's TestOverloadShiftsTraffic as a script: three servers of
// capacity 1, this one (192.0.2.2) starved, overloaded throughout, while
// its peers at the same metric idle with load 0.
var (
	idlePeers = []Peer{peer(rid1, 10, 1, 0), peer(rid3, 10, 1, 0)}
	busyPeers = []Peer{peer(rid1, 10, 1, 2), peer(rid3, 10, 1, 2)}
)

// degradedParams are farmParams(1) with MaxDwell 20 s (the trial join and
// the wait after a failed trial leave).
func degradedParams() Params {
	p := farmParams(1)
	p.MaxDwell = 20 * time.Second
	return p
}

// runUntilChange steps the driver every 100 ms from `from` to `to` (ms)
// with this server's load and the peers, and returns the first change
// (nil: none) and its time.
func runUntilChange(fd *farmDriver, from, to int, load float64, peers []Peer) (*Decision, int) {
	for n := from; n <= to; n += 100 {
		if d := fd.at(n, load, peers...); d.Changed {
			return &d, n
		}
	}
	return nil, to
}

// leaveDegraded starts the starved server and runs it until it leaves the
// cheapest tier (failing the test if it does not within 15 s).
func leaveDegraded(t *testing.T, p Params) (*farmDriver, int, Decision) {
	t.Helper()
	fd := newFarmDriver(t, p, rid2)
	if d := fd.at(0, 0); !d.Changed || d.Metric != 10 {
		t.Fatalf("start: %+v, want metric 10", d)
	}
	window := int(4 * farmSlot / time.Millisecond)
	for n := 100; n < window; n += 100 {
		if d := fd.at(n, 2, idlePeers...); d.Changed {
			t.Fatalf("at %d ms, within the first headroom window: %+v", n, d)
		}
	}
	moved, n := runUntilChange(fd, window, 15000, 2, idlePeers)
	if moved == nil {
		e := fd.m.Explain(ms(n))
		t.Fatalf("no move by %d ms; last hold: %+v", n, e.Farm.LastHold)
	}
	return fd, n, *moved
}

// TestFarmDegradedServerLeaves: a server overloaded at a rate its idle
// peers of the same capacity keep up with is degraded: its configured
// capacity does not bound the rate (before, the check read the rate as at
// least 1, gave the idle peers "room 0.00" and held the starved server in
// the tier). It leaves the cheapest tier, in its turn, once the evidence
// has lasted a headroom window, and the explanation names it degraded.
func TestFarmDegradedServerLeaves(t *testing.T) {
	p := degradedParams()
	fd, n, d := leaveDegraded(t, p)
	e := fd.m.Explain(ms(n))
	if d.Metric != 20 || !strings.Contains(d.Reason, "it is degraded, overloaded at the rate 192.0.2.1 (capacity 1.00) idles at") ||
		!strings.Contains(d.Reason, "192.0.2.3 room 1.00") {
		t.Fatalf("at %d ms: %+v, want a climb to metric 20 for a degraded server", n, d)
	}
	if e.Farm.LastMove == nil || !strings.Contains(e.Farm.LastMove.Reason, "it is degraded") {
		t.Errorf("last move %+v", e.Farm.LastMove)
	}
	// At the moment of the move, before it, the explanation shows it
	// degraded and its capacity left out of the rate's bracket.
	fd2 := newFarmDriver(t, p, rid2)
	fd2.at(0, 0)
	for k := 100; k < n; k += 100 {
		fd2.at(k, 2, idlePeers...)
	}
	e = fd2.m.Explain(ms(n))
	var self *FarmMember
	for i := range e.Farm.CheapestSet {
		if e.Farm.CheapestSet[i].Self {
			self = &e.Farm.CheapestSet[i]
		}
	}
	if self == nil || self.Status != "degraded" || e.Farm.RateAtLeast != 0 || e.Farm.RateBelow == nil || *e.Farm.RateBelow != 1 {
		t.Errorf("explanation before the move: self %+v, rate %g..%v", self, e.Farm.RateAtLeast, e.Farm.RateBelow)
	}
}

// TestFarmDegradedServerStaysOutWhileTheOthersKeepUp: out of the tier,
// its load falls to 0; its configured capacity would let the join check
// bring it straight back, but it left degraded and the others keep up
// without it: it stays out until the trial join after MaxDwell, and leaves
// again when still degraded.
func TestFarmDegradedServerStaysOutWhileTheOthersKeepUp(t *testing.T) {
	p := degradedParams()
	fd, left, _ := leaveDegraded(t, p)
	moved, n := runUntilChange(fd, left+100, left+30000, 0, idlePeers)
	if moved == nil || moved.Metric != 10 || n < left+int(p.MaxDwell/time.Millisecond) ||
		!strings.Contains(moved.Reason, "trial join after") ||
		!strings.Contains(moved.Reason, "it left the other server") && !strings.Contains(moved.Reason, "it left the 2 other servers") {
		t.Fatalf("at %d ms (left at %d): %+v, want a trial join no sooner than MaxDwell", n, left, moved)
	}
	if h := fd.m.Explain(ms(n)).Farm.LastHold; h == nil || !strings.Contains(h.Reason, "degraded and they keep up without it") {
		t.Errorf("last hold %+v", h)
	}
	// Back in the tier and still starved: it leaves again, no failed
	// trial holding it.
	window := int(4 * farmSlot / time.Millisecond)
	again, m := runUntilChange(fd, n+100, n+window+5000, 2, idlePeers)
	if again == nil || again.Metric != 20 || !strings.Contains(again.Reason, "it is degraded") {
		t.Fatalf("at %d ms: %+v, want a second degraded leave", m, again)
	}
}

// TestFarmDegradedTrialLeaveFails: the others become overloaded once it
// has left (they cannot absorb its share): the trial failed, and it comes
// back at once, without the down dwell. Back in the tier and degraded
// again while the others idle, it holds until MaxDwell after the failure,
// then tries again; a second failure doubles the wait.
func TestFarmDegradedTrialLeaveFails(t *testing.T) {
	p := degradedParams()
	p.DownDwell = 30 * time.Second // no return by the load's own dwell
	fd, left, _ := leaveDegraded(t, p)
	back, n := runUntilChange(fd, left+100, left+10000, 0, busyPeers)
	if back == nil || back.Metric != 10 || !strings.Contains(back.Reason, "trial leave failed at") {
		t.Fatalf("at %d ms (left at %d): %+v, want a return to metric 10 for a failed trial", n, left, back)
	}
	failed := fd.m.trial.lastFail
	if fd.m.trial.fails != 1 || failed.IsZero() {
		t.Fatalf("trial state %+v", fd.m.trial)
	}
	retry := int(failed.Add(p.MaxDwell).Sub(t0) / time.Millisecond)
	for k := n + 100; k < retry; k += 100 {
		d := fd.at(k, 2, idlePeers...)
		if d.Changed {
			t.Fatalf("at %d ms, before %d ms (MaxDwell after the failure): %+v", k, retry, d)
		}
		if k > n+8000 && !strings.Contains(d.Farm, "its last trial leave failed (1 in a row") {
			t.Fatalf("at %d ms: %+v, want a hold for the failed trial", k, d)
		}
	}
	again, m := runUntilChange(fd, retry, retry+5000, 2, idlePeers)
	if again == nil || again.Metric != 20 {
		t.Fatalf("at %d ms: %+v, want a second trial leave after %d ms", m, again, retry)
	}
	if back, k := runUntilChange(fd, m+100, m+10000, 0, busyPeers); back == nil || back.Metric != 10 {
		t.Fatalf("at %d ms: %+v, want a return after the second failed trial", k, back)
	}
	if got, want := fd.m.trial.next(p.MaxDwell), fd.m.trial.lastFail.Add(2*p.MaxDwell); fd.m.trial.fails != 2 || !got.Equal(want) {
		t.Errorf("after two failures: %d in a row, next trial %v, want 2 and %v", fd.m.trial.fails, got, want)
	}
}

// TestFarmDegradedNeedsEvidence: the herding protection stays for a
// server that is merely overloaded. A peer that keeps up but whose queue
// is not all but empty (load 0.3: a server near its capacity swings so)
// proves nothing, nor does a peer that came to the metric within the
// headroom window (its loads are those of another configuration): the
// absorb check holds as before. Once the newcomer has idled at the metric
// for a whole window, this server is degraded and leaves.
func TestFarmDegradedNeedsEvidence(t *testing.T) {
	fd := newFarmDriver(t, degradedParams(), rid2)
	fd.at(0, 0)
	busyish := peer(rid1, 10, 1, 0.3)
	above := peer(rid3, 20, 1, 0)
	for n := 100; n < 3000; n += 100 {
		if d := fd.at(n, 2, busyish, above); d.Changed {
			t.Fatalf("at %d ms: %+v, want a hold (192.0.2.1 is not idle)", n, d)
		}
	}
	joined := peer(rid3, 10, 1, 0)
	window := int(4 * farmSlot / time.Millisecond)
	for n := 3000; n < 3000+window; n += 100 {
		d := fd.at(n, 2, busyish, joined)
		if d.Changed {
			t.Fatalf("at %d ms, within a window of 192.0.2.3 joining: %+v", n, d)
		}
		if d.Farm != "" && strings.Contains(d.Farm, "farm holds") && !strings.Contains(d.Farm, "could absorb only 0.00 of the 1.00 it answers") {
			t.Fatalf("at %d ms: %+v, want the absorb check's hold", n, d)
		}
	}
	moved, n := runUntilChange(fd, 3000+window, 3000+window+5000, 2, []Peer{busyish, joined})
	if moved == nil || moved.Metric != 20 || !strings.Contains(moved.Reason, "overloaded at the rate 192.0.2.3 (capacity 1.00) idles at") {
		t.Fatalf("at %d ms: %+v, want a degraded leave once 192.0.2.3 idled at the metric for a window", n, moved)
	}
}
