package progtb

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name        string
		skipIsFatal bool
		fn          func(*TB)
		want        string // "" for a nil error
		wantStop    *Stop  // what errors.As finds in the error
		ended       bool   // fn did not return (a Stop or another panic)
	}{
		{name: "returns", fn: func(*TB) {}},
		{name: "logs", fn: func(tb *TB) { tb.Logf("fine") }},
		{name: "Errorf", fn: func(tb *TB) { tb.Errorf("lost %d", 1) }, want: "failover: failed (see the log)"},
		{name: "Fail", fn: func(tb *TB) { tb.Fail() }, want: "failover: failed (see the log)"},
		{name: "Fatalf", fn: func(tb *TB) { tb.Fatalf("no route after %d s", 60) },
			want: "failover: no route after 60 s", wantStop: &Stop{Msg: "no route after 60 s"}, ended: true},
		{name: "Skipf", fn: func(tb *TB) { tb.Skipf("no %s", "exabgp") },
			want: "failover: skipped: no exabgp", wantStop: &Stop{Msg: "no exabgp", Skip: true}, ended: true},
		{name: "Skipf, skip fatal", skipIsFatal: true, fn: func(tb *TB) { tb.Skipf("no %s", "exabgp") },
			want: "failover: no exabgp", wantStop: &Stop{Msg: "no exabgp"}, ended: true},
		{name: "other panic", fn: func(*TB) { panic("index out of range") }, want: "failover: panic: index out of range", ended: true},
		{name: "panic with an error", fn: func(*TB) { panic(errors.New("nil map")) }, want: "failover: panic: nil map", ended: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := New(Options{Name: "failover", SkipIsFatal: tc.skipIsFatal})
			var cleaned []string
			err := tb.Run(func() {
				tb.Cleanup(func() { cleaned = append(cleaned, "first") })
				tb.Cleanup(func() { cleaned = append(cleaned, "second") })
				tc.fn(tb)
				tb.Cleanup(func() { cleaned = append(cleaned, "after fn") })
			})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Run() error = %q, want %q", got, tc.want)
			}
			var stop Stop
			if ok := errors.As(err, &stop); ok != (tc.wantStop != nil) {
				t.Errorf("errors.As(%v, Stop) = %v, want %v", err, ok, tc.wantStop != nil)
			} else if ok {
				if diff := cmp.Diff(*tc.wantStop, stop); diff != "" {
					t.Errorf("wrapped Stop (-want +got):\n%s", diff)
				}
			}
			wantCleaned := []string{"after fn", "second", "first"}
			if tc.ended {
				wantCleaned = wantCleaned[1:]
			}
			if diff := cmp.Diff(wantCleaned, cleaned); diff != "" {
				t.Errorf("cleanups run by Run (-want +got):\n%s", diff)
			}
			if tb.Context().Err() == nil {
				t.Errorf("Context not canceled after Run")
			}
		})
	}
}
