package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/internal/render"
	"github.com/anycostd/anycostd/internal/testlog"
)

// TestCostWatchTerminal runs `anycostd cost --watch` in a pseudo-terminal,
// as an operator would, against a control server with a fake backend: it
// must redraw in place (home, clear screen) every second with fresh
// answers, and on ^C put the cursor back and exit 0.
func TestCostWatchTerminal(t *testing.T) {
	path, b, _ := costServer(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(childEnv("cost", "--watch", "--control", path), "TZ=UTC")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 300, Cols: 200})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})

	var mu sync.Mutex
	var out bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return // EIO once the child has gone
			}
		}
	}()
	screen := func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}

	// Three frames: the first and two redraws, each after its own request.
	const clear = ansiHome + ansiClearScreen
	start := time.Now()
	for strings.Count(screen(), clear) < 3 {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("fewer than 3 frames in 10 s; the terminal shows:\n%q", screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	took := time.Since(start)
	if took < 1500*time.Millisecond {
		t.Errorf("3 frames in %v: not one a second", took)
	}
	if n := b.Explained(); n < 3 {
		t.Errorf("%d requests for 3 frames: the redraws did not ask the daemon again", n)
	}
	frames := strings.Split(screen(), clear)
	for i, f := range frames[1:3] {
		if !strings.Contains(f, "Every 1s: anycostd cost") || !strings.Contains(f, "(^C to quit)") ||
			!strings.Contains(f, "Service dns  2001:db8:53::53/128") || !strings.Contains(f, "Service web") ||
			!strings.Contains(f, "metric 10 -> metric 20") {
			t.Errorf("frame %d:\n%s", i, f)
		}
	}
	if !strings.HasPrefix(screen(), ansiHideCursor) {
		t.Errorf("the cursor is not hidden while watching: %q", screen()[:min(40, len(screen()))])
	}

	// ^C: the terminal sends SIGINT to the foreground process.
	if _, err := ptmx.Write([]byte{0x03}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after ^C: %v, want exit 0; the terminal shows:\n%q", err, screen())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after ^C; the terminal shows:\n%q", screen())
	}
	select {
	case <-readDone:
	case <-time.After(2 * time.Second):
	}
	// The terminal is left with a visible cursor on a fresh line.
	if s := screen(); !strings.HasSuffix(s, ansiShowCursor+"\r\n") {
		t.Errorf("the terminal was not restored; it ends with %q", s[max(0, len(s)-80):])
	}
}

// TestCostWatchPipe: --watch to a pipe (no terminal) writes frames one
// after the other without escape sequences, and --json one JSON document
// per line; both end cleanly when interrupted.
func TestCostWatchPipe(t *testing.T) {
	path, b, views := costServer(t)
	costLocation = time.UTC
	t.Cleanup(func() { costLocation = nil })

	run := func(args ...string) (int, string, string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		before := b.Explained()
		var stdout, stderr testlog.Buffer
		done := make(chan int, 1)
		go func() { done <- runMain(ctx, append([]string{"anycostd"}, args...), &stdout, &stderr) }()
		deadline := time.Now().Add(5 * time.Second)
		for b.Explained() < before+3 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		// Let the third answer be written before stopping.
		time.Sleep(20 * time.Millisecond)
		cancel()
		select {
		case code := <-done:
			return code, stdout.String(), stderr.String()
		case <-time.After(5 * time.Second):
			t.Fatalf("%q did not stop when interrupted", args)
			return 0, "", ""
		}
	}

	code, out, errOut := run("cost", "--watch", "--interval", "50ms", "--control", path, "dns")
	if code != 0 || errOut != "" {
		t.Fatalf("--watch: exit %d, stderr %q", code, errOut)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("escape sequences without a terminal: %q", out)
	}
	if n := strings.Count(out, "Every 50ms: anycostd cost dns"); n < 3 {
		t.Errorf("%d frames:\n%s", n, out)
	}
	if strings.Contains(out, "Service ntp") || strings.Count(out, "Service dns") < 3 {
		t.Errorf("frames of the wrong services:\n%s", out)
	}

	code, out, errOut = run("cost", "--watch", "--json", "--interval", "50ms", "--control", path)
	if code != 0 || errOut != "" {
		t.Fatalf("--watch --json: exit %d, stderr %q", code, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	n := 0
	for {
		var got []render.CostView
		if err := dec.Decode(&got); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("line %d: %v\n%s", n, err, out)
		}
		if len(got) != len(views) || got[0].Service != "dns" || got[2].Wire == nil {
			t.Errorf("line %d: %+v", n, got)
		}
		n++
	}
	if lines := strings.Count(out, "\n"); n < 3 || lines != n {
		t.Errorf("%d JSON documents on %d lines, want one per line and at least 3", n, lines)
	}

	if code, _, errOut := runCLI("cost", "--watch", "--interval", "0s", "--control", path); code != exitUsage ||
		errOut != "anycostd: --interval 0s: must be above 0\n" {
		t.Errorf("--interval 0s: exit %d, stderr %q", code, errOut)
	}
}

// TestCostWatchDaemonGoes: a daemon that goes away while watching is
// shown in the frame and asked again; the watch goes on.
func TestCostWatchDaemonGoes(t *testing.T) {
	_, b, _ := costServer(t)
	path := filepath.Join(t.TempDir(), "anycostd.sock")
	ln, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := control.NewServer(ln, b, slog.New(slog.DiscardHandler))
	go srv.Serve(context.Background())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testlog.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runMain(ctx, []string{"anycostd", "cost", "--watch", "--interval", "50ms", "--control", path}, &stdout, &stderr)
	}()
	stdout.Wait(t, "Service dns")
	srv.Close()
	gone := "cannot reach anycostd at " + path + ": connect: no such file or directory (is the daemon running?); asking again. Last answer at "
	stdout.Wait(t, gone)
	cancel()
	select {
	case code := <-done:
		if code != 0 || stderr.String() != "" {
			t.Errorf("exit %d, stderr %q", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not stop")
	}
	// The frame with the error still shows the last answer.
	out := stdout.String()
	if i := strings.LastIndex(out, gone); !strings.Contains(out[i:], "Service dns") {
		t.Errorf("the last answer is not shown with the error:\n%s", out[i:])
	}
}
