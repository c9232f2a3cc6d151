// Package testlog is a log sink for tests: the daemon's log or a
// command's output, written by other goroutines while the test waits for
// a line.
package testlog

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer collects what is written to it; it is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Wait waits (up to 5 s) until the buffer holds s, and fails the test
// otherwise.
func (l *Buffer) Wait(t testing.TB, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(l.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", s, l.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
