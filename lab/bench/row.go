package main

import (
	"io"
	"sync"
	"time"

	"github.com/anycostd/anycostd/lab/internal/progtb"
)

// rowTimeout bounds one row: past it, a watchdog runs the row's cleanups
// (ending its processes and namespaces), so that a call blocked on a
// daemon (vtysh has no timeout) returns and the row fails.
var rowTimeout = 45 * time.Minute

// active is the TB of every row that is running, so that a signal can
// clean them all up before the program exits.
var active struct {
	mu  sync.Mutex
	tbs map[*progtb.TB]bool
}

// runRow runs fn with a fresh TB whose log lines go to log, then its
// cleanups. It returns why the row stopped early (Fatalf, Skipf, a panic)
// or that it failed, or nil (see progtb.TB.Run). Call lab functions only
// from fn's goroutine: Fatalf ends it.
func runRow(name string, log io.Writer, fn func(t *progtb.TB)) error {
	t := progtb.New(progtb.Options{Name: name, Log: log, TempPattern: "acdbench-"})
	watchdog := time.AfterFunc(rowTimeout, func() {
		t.Errorf("row timed out after %v: cleaning up", rowTimeout)
		t.RunCleanups()
	})
	defer watchdog.Stop()
	active.mu.Lock()
	if active.tbs == nil {
		active.tbs = map[*progtb.TB]bool{}
	}
	active.tbs[t] = true
	active.mu.Unlock()
	defer func() {
		active.mu.Lock()
		delete(active.tbs, t)
		active.mu.Unlock()
	}()
	return t.Run(func() { fn(t) })
}

// cleanupAll runs the cleanups of every running row (on a signal).
func cleanupAll() {
	active.mu.Lock()
	var tbs []*progtb.TB
	for t := range active.tbs {
		tbs = append(tbs, t)
	}
	active.mu.Unlock()
	for _, t := range tbs {
		t.RunCleanups()
	}
}
