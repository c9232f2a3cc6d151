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

func TestParseLoad(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true},
		{"1", 1, true},
		{"0.7", 0.7, true},
		{" 0.25\n", 0.25, true},
		{"1e-1", 0.1, true},
		{"70%", 0.7, true},
		{"70 %\n", 0.7, true},
		{"100%", 1, true},
		{"0%", 0, true},
		{"12.5%", 0.125, true},
		{"", 0, false},
		{"\n", 0, false},
		{"%", 0, false},
		{"1.5", 0, false},
		{"-0.1", 0, false},
		{"101%", 0, false},
		{"-1%", 0, false},
		{"NaN", 0, false},
		{"Inf", 0, false},
		{"0.5 0.6", 0, false},
		{"0.5\n0.6", 0, false},
		{"load=0.5", 0, false},
		{"0.5%%", 0, false},
		{"50 percent", 0, false},
	} {
		got, err := parseLoad(tc.in)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("parseLoad(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		if !errors.Is(err, ErrBadLoad) {
			t.Errorf("parseLoad(%q) = %v, %v; want ErrBadLoad", tc.in, got, err)
		}
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunExternal(t *testing.T) {
	dir := t.TempDir()
	script := writeFile(t, dir, "load.sh", "#!/bin/sh\necho \"$1\"\n")
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  ExternalConfig
		want float64
		err  string // substring of Sample.Err; empty: a load is expected
	}{
		{"file fraction", ExternalConfig{File: writeFile(t, dir, "a", "0.4\n")}, 0.4, ""},
		{"file percentage", ExternalConfig{File: writeFile(t, dir, "b", "85%")}, 0.85, ""},
		{"file missing", ExternalConfig{File: filepath.Join(dir, "missing")}, 0, "no such file or directory"},
		{"file garbage", ExternalConfig{File: writeFile(t, dir, "c", "busy")}, 0, `"busy": not a load`},
		{"file out of range", ExternalConfig{File: writeFile(t, dir, "d", "2")}, 0, "out of range"},
		{"file too long", ExternalConfig{File: writeFile(t, dir, "e", strings.Repeat(" ", 5000)+"0.5")}, 0, "longer than 4096 bytes"},
		{"file is a directory", ExternalConfig{File: dir}, 0, "is a directory"},
		{"command", ExternalConfig{Command: []string{script, "0.3"}, Timeout: 5 * time.Second}, 0.3, ""},
		{"command percentage", ExternalConfig{Command: []string{"echo", "42%"}, Timeout: 5 * time.Second}, 0.42, ""},
		{"command missing", ExternalConfig{Command: []string{filepath.Join(dir, "nope")}, Timeout: time.Second}, 0, "no such file or directory"},
		{"command not in PATH", ExternalConfig{Command: []string{"anycostd-no-such-command"}, Timeout: time.Second}, 0, "executable file not found"},
		{"command exits 3", ExternalConfig{Command: []string{"sh", "-c", "echo 0.5; echo overloaded >&2; exit 3"}, Timeout: 5 * time.Second}, 0, "exit status 3: overloaded"},
		{"command garbage", ExternalConfig{Command: []string{"echo", "hello"}, Timeout: 5 * time.Second}, 0, `"hello": not a load`},
		{"command empty output", ExternalConfig{Command: []string{"true"}, Timeout: 5 * time.Second}, 0, "not a load"},
		{"command timeout", ExternalConfig{Command: []string{"sleep", "10"}, Timeout: 100 * time.Millisecond}, 0, "timed out after 100ms"},
		// A child keeps the output pipe open after the timeout: the
		// process group is killed, so this ends promptly too.
		{"command timeout, child holds stdout", ExternalConfig{Command: []string{"sh", "-c", "sleep 10 & sleep 10"}, Timeout: 100 * time.Millisecond}, 0, "timed out after 100ms"},
		{"command floods output", ExternalConfig{Command: []string{"sh", "-c", "yes 0.5 | head -c 100000"}, Timeout: 5 * time.Second}, 0, "output longer than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Interval = 10 * time.Millisecond
			start := time.Now()
			for _, s := range collect(t, 2, func(ctx context.Context, out chan<- Sample) error { return RunExternal(ctx, "svc", tc.cfg, out) }) {
				if s.Service != "svc" || s.Kind != KindExternal {
					t.Fatalf("sample %+v", s)
				}
				if tc.err == "" {
					if s.Err != nil || s.External == nil || s.External.Load != tc.want {
						t.Errorf("sample %+v (load %+v), want load %v", s, s.External, tc.want)
					}
					continue
				}
				if s.Err == nil || s.External != nil || !strings.Contains(s.Err.Error(), tc.err) {
					t.Errorf("sample err %v, load %+v; want an error containing %q", s.Err, s.External, tc.err)
				}
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("two samples took %v", d)
			}
		})
	}
}

func TestExternalConfigInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  ExternalConfig
		want string
	}{
		{"nothing", ExternalConfig{Interval: time.Second}, "neither file nor command"},
		{"both", ExternalConfig{File: "/x", Command: []string{"true"}, Interval: time.Second, Timeout: time.Second}, "both"},
		{"empty command", ExternalConfig{Command: []string{""}, Interval: time.Second, Timeout: time.Second}, "empty command"},
		{"interval 0", ExternalConfig{File: "/x"}, "interval"},
		{"command without timeout", ExternalConfig{Command: []string{"true"}, Interval: time.Second}, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := RunExternal(context.Background(), "svc", tc.cfg, make(chan Sample))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseLoad(f *testing.F) {
	for _, s := range []string{"0.7", "70%", " 1\n", "", "garbage", "1e-1", "NaN", "100 %"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseLoad(s)
		if err != nil {
			if !errors.Is(err, ErrBadLoad) {
				t.Fatalf("parseLoad(%q): error %v does not wrap ErrBadLoad", s, err)
			}
			return
		}
		if !(v >= 0 && v <= 1) {
			t.Fatalf("parseLoad(%q) = %v, outside [0, 1]", s, v)
		}
	})
}
