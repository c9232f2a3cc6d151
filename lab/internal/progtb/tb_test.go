package progtb

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stopOf calls fn and returns the Stop it panicked with (nil if none).
func stopOf(t *testing.T, fn func()) (s *Stop) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			v, ok := r.(Stop)
			if !ok {
				t.Fatalf("panic value %#v is not a Stop", r)
			}
			s = &v
		}
	}()
	fn()
	return nil
}

func TestStopValues(t *testing.T) {
	for _, tc := range []struct {
		name        string
		skipIsFatal bool
		call        func(*TB)
		want        Stop
		failed      bool
		skipped     bool
		logTag      string
	}{
		{"Fatalf", false, func(tb *TB) { tb.Fatalf("no %s", "router") }, Stop{Msg: "no router"}, true, false, "FATAL: no router"},
		{"Fatal", false, func(tb *TB) { tb.Fatal("no ", "router") }, Stop{Msg: "no router"}, true, false, "FATAL: no router"},
		{"FailNow", false, func(tb *TB) { tb.FailNow() }, Stop{Msg: "FailNow"}, true, false, "FATAL: FailNow"},
		{"Skipf", false, func(tb *TB) { tb.Skipf("no %s", "nsd") }, Stop{Msg: "no nsd", Skip: true}, false, true, "SKIP: no nsd"},
		{"Skip", false, func(tb *TB) { tb.Skip("no ", "nsd") }, Stop{Msg: "no nsd", Skip: true}, false, true, "SKIP: no nsd"},
		{"SkipNow", false, func(tb *TB) { tb.SkipNow() }, Stop{Msg: "SkipNow", Skip: true}, false, true, "SKIP: SkipNow"},
		{"Fatalf, skip fatal", true, func(tb *TB) { tb.Fatalf("no %s", "router") }, Stop{Msg: "no router"}, true, false, "FATAL: no router"},
		{"Skipf, skip fatal", true, func(tb *TB) { tb.Skipf("no %s", "nsd") }, Stop{Msg: "no nsd"}, true, false, "FATAL: no nsd"},
		{"Skip, skip fatal", true, func(tb *TB) { tb.Skip("no ", "nsd") }, Stop{Msg: "no nsd"}, true, false, "FATAL: no nsd"},
		{"SkipNow, skip fatal", true, func(tb *TB) { tb.SkipNow() }, Stop{Msg: "SkipNow"}, true, false, "FATAL: SkipNow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := New(Options{Name: "row", SkipIsFatal: tc.skipIsFatal})
			got := stopOf(t, func() { tc.call(tb) })
			if got == nil {
				t.Fatalf("did not panic")
			}
			if diff := cmp.Diff(tc.want, *got); diff != "" {
				t.Errorf("Stop (-want +got):\n%s", diff)
			}
			if tb.Failed() != tc.failed || tb.Skipped() != tc.skipped {
				t.Errorf("Failed, Skipped = %v, %v, want %v, %v", tb.Failed(), tb.Skipped(), tc.failed, tc.skipped)
			}
			if !strings.Contains(tb.Logs(), tc.logTag+"\n") {
				t.Errorf("log %q lacks %q", tb.Logs(), tc.logTag)
			}
		})
	}
}

func TestErrorfGoesOn(t *testing.T) {
	tb := New(Options{Name: "row"})
	if s := stopOf(t, func() { tb.Errorf("lost %d queries", 3); tb.Error("and ", "more") }); s != nil {
		t.Fatalf("Errorf panicked with %v", *s)
	}
	if !tb.Failed() {
		t.Errorf("Failed() = false after Errorf")
	}
	for _, want := range []string{"ERROR: lost 3 queries\n", "ERROR: and more\n"} {
		if !strings.Contains(tb.Logs(), want) {
			t.Errorf("log %q lacks %q", tb.Logs(), want)
		}
	}
}

func TestLogLines(t *testing.T) {
	var w bytes.Buffer
	shared := New(Options{Name: "failover", Log: &w})
	shared.Logf("lab %s (%d servers)", "acd12ab34", 3)
	shared.Log("up ", 2)
	if got := shared.Logs(); got != "" {
		t.Errorf("Logs() with a writer = %q, want empty", got)
	}
	buffered := New(Options{Name: "demo"})
	buffered.Logf("lab %s (%d servers)", "acd12ab34", 3)
	buffered.Log("up ", 2)
	for _, tc := range []struct {
		name string
		got  string
		want string // a regexp
	}{
		{"writer", w.String(), `^\d\d:\d\d:\d\d\.\d{3} failover: lab acd12ab34 \(3 servers\)\n\d\d:\d\d:\d\d\.\d{3} failover: up 2\n$`},
		{"buffered", buffered.Logs(), `^\d\d:\d\d:\d\d\.\d{3} lab acd12ab34 \(3 servers\)\n\d\d:\d\d:\d\d\.\d{3} up 2\n$`},
	} {
		if !regexp.MustCompile(tc.want).MatchString(tc.got) {
			t.Errorf("%s: log %q does not match %s", tc.name, tc.got, tc.want)
		}
	}
}

func TestTempDir(t *testing.T) {
	tb := New(Options{Name: "x", TempPattern: "progtb-test-"})
	dir := tb.TempDir()
	if !strings.HasPrefix(dir, os.TempDir()+string(os.PathSeparator)+"progtb-test-") {
		t.Errorf("TempDir() = %q, want it under %s named progtb-test-*", dir, os.TempDir())
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("TempDir() %s: not a folder (%v)", dir, err)
	}
	tb.RunCleanups()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("TempDir() %s is still there after RunCleanups (stat: %v)", dir, err)
	}
}

func TestSetenv(t *testing.T) {
	const set, unset = "PROGTB_TEST_SET", "PROGTB_TEST_UNSET"
	t.Setenv(set, "before") // restored by the testing package
	os.Unsetenv(unset)
	tb := New(Options{Name: "x"})
	tb.Setenv(set, "during")
	tb.Setenv(unset, "during")
	if os.Getenv(set) != "during" || os.Getenv(unset) != "during" {
		t.Fatalf("Setenv did not set the variables")
	}
	tb.RunCleanups()
	if got := os.Getenv(set); got != "before" {
		t.Errorf("%s = %q after RunCleanups, want %q", set, got, "before")
	}
	if got, ok := os.LookupEnv(unset); ok {
		t.Errorf("%s = %q after RunCleanups, want it unset", unset, got)
	}
}
