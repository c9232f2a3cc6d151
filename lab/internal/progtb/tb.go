// Package progtb lets a program (the benchmark, the demo) use the lab
// package, whose constructors take a testing.TB, outside a test binary.
//
// A TB stops its goroutine on Fatalf (and Fatal, FailNow, Skipf...)
// by panicking with a Stop value; Run recovers it, or the program does.
// Cleanups run when the program calls RunCleanups (Run does, at its end):
// each once, newest first, and a cleanup that panics does not keep the
// others from running, so that a program on its way out after an error or
// a signal removes every namespace and process the lab started.
package progtb

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options shape a TB.
type Options struct {
	// Name is what Name returns; lines written to Log carry it.
	Name string
	// Log receives the Logf lines as they come, each with a time stamp
	// and the name (the writer is shared, with other TBs or the program's
	// own lines). Nil keeps them in a buffer instead, without the name,
	// for Logs (a program shows them only when something failed).
	Log io.Writer
	// SkipIsFatal makes Skipf, Skip and SkipNow end the run like Fatalf
	// (Skipped stays false): the lab skips when a prerequisite is missing,
	// which for some programs is an error.
	SkipIsFatal bool
	// TempPattern is the os.MkdirTemp pattern of TempDir ("" for
	// "progtb-").
	TempPattern string
}

// TB implements the testing.TB methods the lab calls. The embedded
// interface is nil: a method the lab starts to call and TB does not
// implement panics loudly instead of doing something quiet and wrong.
// Call lab functions only from the goroutine that Fatalf may stop.
type TB struct {
	testing.TB

	opt Options

	mu       sync.Mutex
	cleanups []func()
	failed   bool
	skipped  bool

	logMu sync.Mutex
	logs  strings.Builder // Logf lines when opt.Log is nil

	parking  atomic.Bool
	parkOnce sync.Once
	parked   chan struct{} // closed when a goroutine is parked in Helper

	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a TB shaped by o.
func New(o Options) *TB {
	if o.TempPattern == "" {
		o.TempPattern = "progtb-"
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &TB{opt: o, parked: make(chan struct{}), ctx: ctx, cancel: cancel}
}

// Name returns Options.Name.
func (t *TB) Name() string { return t.opt.Name }

// Logf writes a time-stamped line to Options.Log, or to the buffer Logs
// returns.
func (t *TB) Logf(format string, args ...any) {
	stamp := time.Now().Format("15:04:05.000")
	msg := fmt.Sprintf(format, args...)
	t.logMu.Lock()
	defer t.logMu.Unlock()
	if t.opt.Log != nil {
		fmt.Fprintf(t.opt.Log, "%s %s: %s\n", stamp, t.opt.Name, msg)
		return
	}
	fmt.Fprintf(&t.logs, "%s %s\n", stamp, msg)
}

// Log is Logf with the arguments formatted as by fmt.Sprint.
func (t *TB) Log(args ...any) { t.Logf("%s", fmt.Sprint(args...)) }

// Logs returns the lines Logf buffered ("" when Options.Log is set).
func (t *TB) Logs() string {
	t.logMu.Lock()
	defer t.logMu.Unlock()
	return t.logs.String()
}

// Errorf marks the TB failed and logs the message; the run goes on.
func (t *TB) Errorf(format string, args ...any) {
	t.Fail()
	t.Logf("ERROR: "+format, args...)
}

// Error is Errorf with the arguments formatted as by fmt.Sprint.
func (t *TB) Error(args ...any) { t.Errorf("%s", fmt.Sprint(args...)) }

// Fatalf marks the TB failed, logs the message and panics with a Stop
// carrying it.
func (t *TB) Fatalf(format string, args ...any) {
	t.Fail()
	msg := fmt.Sprintf(format, args...)
	t.Logf("FATAL: %s", msg)
	panic(Stop{Msg: msg})
}

// Fatal is Fatalf with the arguments formatted as by fmt.Sprint.
func (t *TB) Fatal(args ...any) { t.Fatalf("%s", fmt.Sprint(args...)) }

// FailNow is Fatalf("FailNow").
func (t *TB) FailNow() { t.Fatalf("FailNow") }

// Fail marks the TB failed.
func (t *TB) Fail() {
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}

// Failed reports whether Fail, Errorf or Fatalf was called.
func (t *TB) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// Skipf marks the TB skipped, logs the message and panics with a Stop
// carrying it and Skip set; with Options.SkipIsFatal it is Fatalf.
func (t *TB) Skipf(format string, args ...any) {
	if t.opt.SkipIsFatal {
		t.Fatalf(format, args...) // panics
	}
	t.mu.Lock()
	t.skipped = true
	t.mu.Unlock()
	msg := fmt.Sprintf(format, args...)
	t.Logf("SKIP: %s", msg)
	panic(Stop{Msg: msg, Skip: true})
}

// Skip is Skipf with the arguments formatted as by fmt.Sprint.
func (t *TB) Skip(args ...any) { t.Skipf("%s", fmt.Sprint(args...)) }

// SkipNow is Skipf("SkipNow").
func (t *TB) SkipNow() { t.Skipf("SkipNow") }

// Skipped reports whether Skipf was called (never with
// Options.SkipIsFatal).
func (t *TB) Skipped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.skipped
}

// TempDir creates a folder that a cleanup removes.
func (t *TB) TempDir() string {
	dir, err := os.MkdirTemp("", t.opt.TempPattern)
	if err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Setenv sets an environment variable that a cleanup restores.
func (t *TB) Setenv(key, value string) {
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

// Context is canceled when RunCleanups starts.
func (t *TB) Context() context.Context { return t.ctx }
