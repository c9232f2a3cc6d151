package lab

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// pollInterval is how often Wait evaluates its condition.
const pollInterval = 50 * time.Millisecond

// Wait polls cond every 50 ms until it returns true and returns how long
// that took, or an error once timeout has passed. The error names what was
// awaited and the last error cond returned: an error from cond does not
// end the wait, it means "not yet, and here is why" (a giveUp error ends
// it at once).
func Wait(timeout time.Duration, what string, cond func() (bool, error)) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(timeout)
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return time.Since(start), nil
		}
		var g giveUp
		if errors.As(err, &g) {
			return time.Since(start), g.error
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			if lastErr != nil {
				return time.Since(start), fmt.Errorf("timed out after %v waiting for %s; last error: %w", timeout, what, lastErr)
			}
			return time.Since(start), fmt.Errorf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(pollInterval)
	}
}

// giveUp is an error of a Wait condition that ends the wait at once: what
// it waits for will not come.
type giveUp struct{ error }

// WaitFor is Wait for tests: it fails the test on the timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) time.Duration {
	t.Helper()
	d, err := Wait(timeout, what, cond)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
