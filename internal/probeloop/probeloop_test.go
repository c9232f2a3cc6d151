package probeloop

import (
	"testing"
	"time"
)

func TestTick(t *testing.T) {
	const ms = time.Millisecond
	for _, c := range []struct {
		what                 string
		open                 int
		w, interval, timeout time.Duration
		want                 Action
	}{
		{"none open, timeout wait", 0, 100 * ms, 200 * ms, 100 * ms, Start},
		{"none open, long wait", 0, 1500 * ms, 200 * ms, 100 * ms, Start},
		{"none open, a full set's wait", 0, 16 * 200 * ms, 200 * ms, 100 * ms, Start},
		{"one open, timeout wait", 1, 100 * ms, 200 * ms, 100 * ms, Due},
		{"one open, wait equal to the interval", 1, 200 * ms, 200 * ms, 100 * ms, Due},
		{"one open, wait beyond the interval", 1, 201 * ms, 200 * ms, 100 * ms, Start},
		{"one open, wait beyond the interval, not the timeout", 1, 300 * ms, 200 * ms, 500 * ms, Due},
		{"one open, wait equal to a timeout beyond the interval", 1, 500 * ms, 200 * ms, 500 * ms, Due},
		{"one open, wait beyond both", 1, 501 * ms, 200 * ms, 500 * ms, Start},
		{"15 open, long wait", MaxOpen - 1, 1500 * ms, 200 * ms, 100 * ms, Start},
		{"16 open, long wait", MaxOpen, 1500 * ms, 200 * ms, 100 * ms, Skip},
		{"16 open (the wait has fallen), timeout wait", MaxOpen, 100 * ms, 200 * ms, 100 * ms, Due},
	} {
		if got := Tick(c.open, c.w, c.interval, c.timeout); got != c.want {
			t.Errorf("%s: Tick(%d, %v, %v, %v) = %v, want %v", c.what, c.open, c.w, c.interval, c.timeout, got, c.want)
		}
	}
}
