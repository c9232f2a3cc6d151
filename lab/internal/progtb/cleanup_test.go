package progtb

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRunCleanupsOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		panics map[int]bool // cleanups that panic
		nested bool         // cleanup 2 registers cleanup 4
		want   []int
	}{
		{name: "newest first", want: []int{3, 2, 1}},
		{name: "a panicking cleanup", panics: map[int]bool{2: true}, want: []int{3, 2, 1}},
		{name: "every cleanup panics", panics: map[int]bool{1: true, 2: true, 3: true}, want: []int{3, 2, 1}},
		{name: "registered while cleaning up", nested: true, want: []int{3, 2, 4, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := New(Options{Name: "x"})
			var got []int
			var add func(i int)
			add = func(i int) {
				tb.Cleanup(func() {
					got = append(got, i)
					if tc.nested && i == 2 {
						add(4)
					}
					if tc.panics[i] {
						panic("boom " + string(rune('0'+i)))
					}
				})
			}
			for i := 1; i <= 3; i++ {
				add(i)
			}
			tb.RunCleanups()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cleanups ran (-want +got):\n%s", diff)
			}
			tb.RunCleanups()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("a second RunCleanups ran cleanups again (-want +got):\n%s", diff)
			}
			for i := range tc.panics {
				if want := "cleanup: boom " + string(rune('0'+i)); !strings.Contains(tb.Logs(), want) {
					t.Errorf("log %q lacks %q", tb.Logs(), want)
				}
			}
			if len(tc.panics) == 0 && tb.Logs() != "" {
				t.Errorf("log = %q, want nothing", tb.Logs())
			}
		})
	}
}

// TestRunCleanupsConcurrent runs the cleanups from several goroutines at
// once (the bench's watchdog and signal handler do): each runs once.
func TestRunCleanupsConcurrent(t *testing.T) {
	tb := New(Options{Name: "x"})
	const n = 1000
	var runs [n]atomic.Int32
	for i := range n {
		tb.Cleanup(func() { runs[i].Add(1) })
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(tb.RunCleanups)
	}
	wg.Wait()
	for i := range n {
		if got := runs[i].Load(); got != 1 {
			t.Errorf("cleanup %d ran %d times, want 1", i, got)
		}
	}
}

func TestContextCanceledByRunCleanups(t *testing.T) {
	tb := New(Options{Name: "x"})
	if err := tb.Context().Err(); err != nil {
		t.Fatalf("Context().Err() before RunCleanups = %v, want nil", err)
	}
	var errInCleanup error
	tb.Cleanup(func() { errInCleanup = tb.Context().Err() })
	tb.RunCleanups()
	if errInCleanup == nil {
		t.Errorf("Context was not canceled when the cleanups ran")
	}
}
