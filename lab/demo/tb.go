package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// progTB lets a program use the lab package, whose constructors take a
// testing.TB. The embedded interface is nil: a method the lab starts to
// call and progTB does not implement panics loudly instead of doing
// something quiet and wrong.
//
// Fatalf (and Fatal, FailNow, Skipf...) panic with a stopDemo value that
// the demo's goroutine recovers. Cleanups run once each, newest first,
// when runCleanups is called: at the end, on an error, or on a signal.
//
// Stopping on a signal while the demo goroutine is inside a lab call is
// made safe by park: after it, the next Helper call (every lab function
// starts with one) blocks that goroutine for good, so that the cleanups
// never race with a half-built lab. Call lab functions only from the demo
// goroutine; the samplers use lab methods that never call Helper.
type progTB struct {
	testing.TB

	mu       sync.Mutex
	cleanups []func()
	failed   bool
	logs     strings.Builder // Logf lines, shown only when something failed

	parking  atomic.Bool
	parkOnce sync.Once
	parked   chan struct{} // closed when the demo goroutine is parked

	ctx    context.Context
	cancel context.CancelFunc
}

// stopDemo is the panic value of Fatalf and Skipf.
type stopDemo struct{ msg string }

func newProgTB() *progTB {
	ctx, cancel := context.WithCancel(context.Background())
	return &progTB{parked: make(chan struct{}), ctx: ctx, cancel: cancel}
}

// Helper parks the calling goroutine for good once park was called.
func (t *progTB) Helper() {
	if t.parking.Load() {
		t.parkOnce.Do(func() { close(t.parked) })
		select {}
	}
}

// park makes the next Helper call block; parked is closed when one has.
func (t *progTB) park() { t.parking.Store(true) }

func (t *progTB) Name() string { return "demo" }

func (t *progTB) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(&t.logs, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func (t *progTB) Log(args ...any) { t.Logf("%s", fmt.Sprint(args...)) }

func (t *progTB) Errorf(format string, args ...any) {
	t.Fail()
	t.Logf("error: "+format, args...)
}

func (t *progTB) Error(args ...any) { t.Errorf("%s", fmt.Sprint(args...)) }

func (t *progTB) Fatalf(format string, args ...any) {
	t.Fail()
	msg := fmt.Sprintf(format, args...)
	t.Logf("fatal: %s", msg)
	panic(stopDemo{msg: msg})
}

func (t *progTB) Fatal(args ...any) { t.Fatalf("%s", fmt.Sprint(args...)) }
func (t *progTB) FailNow()          { t.Fatalf("FailNow") }

func (t *progTB) Fail() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}

func (t *progTB) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// Skipf ends the demo like Fatalf: the lab skips when a prerequisite
// (root, FRR, NSD, dnsperf) is missing, which for the demo is an error.
func (t *progTB) Skipf(format string, args ...any) { t.Fatalf(format, args...) }
func (t *progTB) Skip(args ...any)                 { t.Fatalf("%s", fmt.Sprint(args...)) }
func (t *progTB) SkipNow()                         { t.Fatalf("SkipNow") }
func (t *progTB) Skipped() bool                    { return false }

func (t *progTB) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

func (t *progTB) TempDir() string {
	dir, err := os.MkdirTemp("", "acddemo-")
	if err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (t *progTB) Context() context.Context { return t.ctx }

// logText returns what Logf collected (the lab logs there the last lines
// of every daemon's log when the demo failed).
func (t *progTB) logText() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.logs.String()
}

// runCleanups runs the registered cleanups, newest first, each once, and
// survives a cleanup that panics.
func (t *progTB) runCleanups() {
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
