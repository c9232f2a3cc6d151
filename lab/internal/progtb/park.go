package progtb

// Helper blocks the calling goroutine for good once Park was called, and
// otherwise does nothing. Every lab function starts with a Helper call, so
// after Park the goroutine running the lab stops at its next lab call:
// a program that caught a signal can then run the cleanups without racing
// a half-built lab.
func (t *TB) Helper() {
	if t.parking.Load() {
		t.parkOnce.Do(func() { close(t.parked) })
		select {}
	}
}

// Park makes the next Helper call (and every one after it) block.
func (t *TB) Park() { t.parking.Store(true) }

// Parked is closed when a goroutine has blocked in Helper after Park.
func (t *TB) Parked() <-chan struct{} { return t.parked }
