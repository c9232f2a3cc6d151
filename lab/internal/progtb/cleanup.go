package progtb

// Cleanup registers f for RunCleanups.
func (t *TB) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

// RunCleanups cancels Context, then runs the registered cleanups, newest
// first, each at most once (also when called again, or from several
// goroutines at once), and survives a cleanup that panics: it logs the
// panic and goes on with the next. A cleanup registered meanwhile runs
// too.
func (t *TB) RunCleanups() {
	t.cancel()
	for {
		t.mu.Lock()
		n := len(t.cleanups)
		if n == 0 {
			t.mu.Unlock()
			return
		}
		f := t.cleanups[n-1]
		t.cleanups = t.cleanups[:n-1]
		t.mu.Unlock()
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Logf("cleanup: %v", r)
				}
			}()
			f()
		}()
	}
}
