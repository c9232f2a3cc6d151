package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"
)

// runTB lets a program use the lab package, whose constructors take a
// testing.TB. It implements every method the lab calls; the embedded
// interface is nil, so a method it does not implement panics loudly
// instead of doing something quiet and wrong.
//
// Fatalf (and Fatal, FailNow, Skip...) panics with a stopRow value that
// runRow recovers: the row ends, its cleanups run, the next row starts.
// Call lab functions only from the row's own goroutine.
type runTB struct {
	testing.TB

	name string
	log  io.Writer

	mu       sync.Mutex
	cleanups []func()
	failed   bool
	skipped  bool
	ctx      context.Context
	cancel   context.CancelFunc
}

// stopRow is the panic value of Fatalf and Skipf.
type stopRow struct {
	msg  string
	skip bool
}

func newRunTB(name string, log io.Writer) *runTB {
	ctx, cancel := context.WithCancel(context.Background())
	return &runTB{name: name, log: log, ctx: ctx, cancel: cancel}
}

func (t *runTB) Helper()      {}
func (t *runTB) Name() string { return t.name }

func (t *runTB) Logf(format string, args ...any) {
	fmt.Fprintf(t.log, "%s %s: %s\n", time.Now().Format("15:04:05.000"), t.name, fmt.Sprintf(format, args...))
}

func (t *runTB) Log(args ...any) { t.Logf("%s", fmt.Sprint(args...)) }

func (t *runTB) Errorf(format string, args ...any) {
	t.Fail()
	t.Logf("ERROR: "+format, args...)
}

func (t *runTB) Error(args ...any) { t.Errorf("%s", fmt.Sprint(args...)) }

func (t *runTB) Fatalf(format string, args ...any) {
	t.Fail()
	msg := fmt.Sprintf(format, args...)
	t.Logf("FATAL: %s", msg)
	panic(stopRow{msg: msg})
}

func (t *runTB) Fatal(args ...any) { t.Fatalf("%s", fmt.Sprint(args...)) }

func (t *runTB) Fail() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}

func (t *runTB) FailNow() { t.Fatalf("FailNow") }

func (t *runTB) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *runTB) Skipf(format string, args ...any) {
	t.mu.Lock()
	t.skipped = true
	t.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	t.Logf("SKIP: %s", msg)
	panic(stopRow{msg: msg, skip: true})
}

func (t *runTB) Skip(args ...any) { t.Skipf("%s", fmt.Sprint(args...)) }
func (t *runTB) SkipNow()         { t.Skipf("SkipNow") }

func (t *runTB) Skipped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.skipped
}

func (t *runTB) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, f)
	t.mu.Unlock()
}

func (t *runTB) TempDir() string {
	dir, err := os.MkdirTemp("", "acdbench-")
	if err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (t *runTB) Setenv(key, value string) {
	old, had := os.LookupEnv(key)
	if err := os.Setenv(key, value); err != nil {
		t.Fatalf("Setenv: %v", err)
	}
	t.Cleanup(func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	})
}

func (t *runTB) Context() context.Context { return t.ctx }

// runCleanups runs the registered cleanups, newest first, each at most
// once, and survives a cleanup that panics.
func (t *runTB) runCleanups() {
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

// active is every runTB whose row is running, so that a signal can clean
// them all up before the program exits.
var active struct {
	mu  sync.Mutex
	tbs map[*runTB]bool
}

// rowTimeout bounds one row: past it, a watchdog runs the row's cleanups
// (ending its processes and namespaces), so that a call blocked on a
// daemon (vtysh has no timeout) returns and the row fails.
var rowTimeout = 45 * time.Minute

// runRow runs fn with a fresh runTB, then its cleanups. It returns the
// reason the row stopped early (Fatalf or Skipf), or nil.
func runRow(name string, log io.Writer, fn func(t *runTB)) (err error) {
	t := newRunTB(name, log)
	watchdog := time.AfterFunc(rowTimeout, func() {
		t.Errorf("row timed out after %v: cleaning up", rowTimeout)
		t.runCleanups()
	})
	defer watchdog.Stop()
	active.mu.Lock()
	if active.tbs == nil {
		active.tbs = map[*runTB]bool{}
	}
	active.tbs[t] = true
	active.mu.Unlock()
	defer func() {
		r := recover()
		t.runCleanups()
		active.mu.Lock()
		delete(active.tbs, t)
		active.mu.Unlock()
		switch v := r.(type) {
		case nil:
			if t.Failed() {
				err = fmt.Errorf("%s: failed (see the log)", name)
			}
		case stopRow:
			if v.skip {
				err = fmt.Errorf("%s: skipped: %s", name, v.msg)
			} else {
				err = fmt.Errorf("%s: %s", name, v.msg)
			}
		default:
			err = fmt.Errorf("%s: panic: %v", name, v)
		}
	}()
	fn(t)
	return nil
}

// cleanupAll runs the cleanups of every running row (on a signal).
func cleanupAll() {
	active.mu.Lock()
	var tbs []*runTB
	for t := range active.tbs {
		tbs = append(tbs, t)
	}
	active.mu.Unlock()
	for _, t := range tbs {
		t.runCleanups()
	}
}
