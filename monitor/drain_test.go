package monitor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDrainWatch(t *testing.T) {
	errA, errB := errors.New("permission denied"), errors.New("input/output error")
	var w drainWatch
	for i, st := range []struct {
		drained bool
		err     error
		send    bool
		want    string // "drained", "undrained" or the error
	}{
		{false, nil, true, "undrained"}, // first observation always reported
		{false, nil, false, ""},
		{true, nil, true, "drained"},
		{true, nil, false, ""},
		{false, errA, true, "permission denied"},
		{false, errA, false, ""},
		{false, errB, true, "input/output error"},
		{true, nil, true, "drained"}, // back from an error, same state as before it
		{false, nil, true, "undrained"},
	} {
		s, send := w.observe(st.drained, st.err)
		if send != st.send {
			t.Fatalf("step %d: send = %v, want %v", i, send, st.send)
		}
		if !send {
			continue
		}
		got := ""
		switch {
		case s.Err != nil && s.Drain == nil:
			got = s.Err.Error()
		case s.Err == nil && s.Drain != nil && *s.Drain:
			got = "drained"
		case s.Err == nil && s.Drain != nil:
			got = "undrained"
		}
		if s.Kind != KindDrain || got != st.want {
			t.Errorf("step %d: %+v, want %s", i, s, st.want)
		}
	}
}

func TestRunDrainFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "drain-dns")
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Sample)
	done := make(chan error, 1)
	go func() { done <- RunDrainFile(ctx, "dns", path, 5*time.Millisecond, out) }()

	expect := func(want bool) {
		t.Helper()
		s := recv(t, out)
		if s.Service != "dns" || s.Kind != KindDrain || s.Err != nil || s.Drain == nil || *s.Drain != want {
			t.Fatalf("sample %+v, want drained=%v", s, want)
		}
	}
	expect(false)
	quiet(t, out, 30*time.Millisecond) // no change, no sample
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	expect(true)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	expect(false)
	if err := os.Symlink(filepath.Join(dir, "nowhere"), path); err != nil {
		t.Fatal(err)
	}
	expect(true) // a dangling symlink is present too
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunDrainFile: %v", err)
	}

	for _, tc := range []struct {
		path     string
		interval time.Duration
		want     string
	}{{"", time.Second, "empty path"}, {path, 0, "interval"}} {
		if err := RunDrainFile(context.Background(), "dns", tc.path, tc.interval, out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("RunDrainFile(%q, %v): %v, want an error containing %q", tc.path, tc.interval, err, tc.want)
		}
	}
}

func TestRunDrainFileUncheckable(t *testing.T) {
	// A regular file where a directory should be: ENOTDIR, neither
	// "present" nor "absent".
	parent := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(parent, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := collect(t, 1, func(ctx context.Context, out chan<- Sample) error {
		return RunDrainFile(ctx, "dns", filepath.Join(parent, "drain"), 5*time.Millisecond, out)
	})[0]
	if s.Kind != KindDrain || s.Err == nil || s.Drain != nil || !strings.Contains(s.Err.Error(), "not a directory") {
		t.Errorf("sample %+v, want Err (not a directory) and no Drain", s)
	}
}
