package lab

import (
	"testing"
	"time"
)

// pollInterval is how often WaitFor evaluates its condition.
const pollInterval = 50 * time.Millisecond

// WaitFor polls cond every 50 ms until it returns true, and fails the test
// when timeout passes first. The failure names what was awaited and the
// last error cond returned. An error from cond does not end the wait: it
// means "not yet, and here is why". It returns how long the wait took.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return time.Since(start)
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			if lastErr != nil {
				t.Fatalf("timed out after %v waiting for %s; last error: %v", timeout, what, lastErr)
			}
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(pollInterval)
	}
}
