package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// rowTimeout bounds one row: past it, a watchdog runs the row's cleanups
// (ending its processes and namespaces), so that a call blocked on a
// daemon (vtysh has no timeout) returns and the row fails.
var rowTimeout = 45 * time.Minute

// row is one row of the benchmark while it runs: its log, what it started
// (removed by its cleanups) and whether it failed. A row stops at its
// first error: fail, failf, check and must end the row's goroutine with a
// rowStop that runRow (or bench.guard) recovers. Call them only from that
// goroutine.
type row struct {
	name string
	log  io.Writer

	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

// rowStop is the panic value with which fail ends a row.
type rowStop struct{ err error }

// logf writes a time-stamped line of the row to its log.
func (r *row) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "%s %s: %s\n", time.Now().Format("15:04:05.000"), r.name, fmt.Sprintf(format, args...))
}

// fail stops the row with err.
func (r *row) fail(err error) { panic(rowStop{err}) }

// stopped records that the row stopped on err: it is logged, and the
// row's cleanups know it failed.
func (r *row) stopped(err error) {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
	r.logf("FATAL: %v", err)
}

// failf is fail with a formatted error.
func (r *row) failf(format string, args ...any) { r.fail(fmt.Errorf(format, args...)) }

// check stops the row on a non-nil err.
func (r *row) check(err error) {
	if err != nil {
		r.fail(err)
	}
}

// must returns v, or stops the running row on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(rowStop{err})
	}
	return v
}

// cleanup registers fn to run when the row ends, newest first.
func (r *row) cleanup(fn func()) {
	r.mu.Lock()
	r.cleanups = append(r.cleanups, fn)
	r.mu.Unlock()
}

// hasFailed reports whether the row stopped on an error.
func (r *row) hasFailed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// runCleanups runs the registered cleanups, newest first, each once; one
// that panics does not keep the others from running.
func (r *row) runCleanups() {
	for {
		r.mu.Lock()
		n := len(r.cleanups)
		if n == 0 {
			r.mu.Unlock()
			return
		}
		fn := r.cleanups[n-1]
		r.cleanups = r.cleanups[:n-1]
		r.mu.Unlock()
		func() {
			defer func() {
				if p := recover(); p != nil {
					r.logf("cleanup: panic: %v", p)
				}
			}()
			fn()
		}()
	}
}

// active is every row that is running, so that a signal can clean them
// all up before the program exits.
var active struct {
	mu   sync.Mutex
	rows map[*row]bool
}

// runRow runs fn as a row named name whose lines go to log, then its
// cleanups. It returns why the row stopped early (its error, a panic) or
// nil.
func runRow(name string, log io.Writer, fn func(r *row)) (err error) {
	r := &row{name: name, log: log}
	watchdog := time.AfterFunc(rowTimeout, func() {
		r.logf("row timed out after %v: cleaning up", rowTimeout)
		r.runCleanups()
	})
	defer watchdog.Stop()
	active.mu.Lock()
	if active.rows == nil {
		active.rows = map[*row]bool{}
	}
	active.rows[r] = true
	active.mu.Unlock()
	defer func() {
		active.mu.Lock()
		delete(active.rows, r)
		active.mu.Unlock()
	}()
	defer func() {
		p := recover()
		switch v := p.(type) {
		case nil:
		case rowStop:
			r.stopped(v.err)
			err = fmt.Errorf("%s: %w", name, v.err)
		default:
			r.stopped(fmt.Errorf("panic: %v", v))
			err = fmt.Errorf("%s: panic: %v", name, v)
		}
		r.runCleanups()
	}()
	fn(r)
	return nil
}

// cleanupAll runs the cleanups of every running row (on a signal).
func cleanupAll() {
	active.mu.Lock()
	var rows []*row
	for r := range active.rows {
		rows = append(rows, r)
	}
	active.mu.Unlock()
	for _, r := range rows {
		r.runCleanups()
	}
}
