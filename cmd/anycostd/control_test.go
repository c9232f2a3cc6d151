package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/ospf"
)

// startControl serves b on a socket in a temporary folder.
func startControl(t *testing.T, b backend) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "anycostd.sock")
	ln, err := listenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := newControlServer(ln, b, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	go srv.serve(ctx)
	t.Cleanup(func() {
		cancel()
		srv.close()
	})
	return path
}

func TestControlRoundTrip(t *testing.T) {
	b := &fakeBackend{status: sampleStatus(), lsdb: sampleLSDB()}
	path := startControl(t, b)
	ctx := context.Background()

	raw, err := callControl(ctx, path, "status", nil)
	if err != nil {
		t.Fatal(err)
	}
	var st ospf.Status
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.status, st); diff != "" {
		t.Errorf("status over the socket (-sent +received):\n%s", diff)
	}

	raw, err = callControl(ctx, path, "lsdb", nil)
	if err != nil {
		t.Fatal(err)
	}
	var es []ospf.LSDBEntry
	if err := json.Unmarshal(raw, &es); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.lsdb, es); diff != "" {
		t.Errorf("lsdb over the socket (-sent +received):\n%s", diff)
	}

	raw, err = callControl(ctx, path, "neighbors", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var nr neighborsResult
	if err := json.Unmarshal(raw, &nr); err != nil {
		t.Fatal(err)
	}
	want := neighborsResult{Interface: "eth0", InterfaceState: "DROther", Neighbors: b.status.Neighbors}
	if diff := cmp.Diff(want, nr); diff != "" {
		t.Errorf("neighbors over the socket (-want +got):\n%s", diff)
	}
}

func TestControlErrors(t *testing.T) {
	b := &fakeBackend{status: sampleStatus()}
	path := startControl(t, b)

	if _, err := callControl(context.Background(), path, "frobnicate", nil); err == nil ||
		!strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: err = %v", err)
	}

	b.err = errors.New("instance stopped")
	if _, err := callControl(context.Background(), path, "status", nil); err == nil ||
		err.Error() != "anycostd at "+path+": status: instance stopped" {
		t.Errorf("backend error: err = %v", err)
	}

	// Raw requests: a wrong version, an unknown field, no JSON at all.
	for _, tc := range []struct{ req, want string }{
		{`{"version":2,"command":"status"}`, "unsupported protocol version 2 (this anycostd speaks version 1)"},
		{`{"version":1,"command":"status","extra":1}`, `bad request: json: unknown field "extra"`},
		{`hello`, "bad request: invalid character 'h' looking for beginning of value"},
	} {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, tc.req)
		c.(*net.UnixConn).CloseWrite()
		var resp controlResponse
		err = json.NewDecoder(c).Decode(&resp)
		c.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.req, err)
		}
		want := controlResponse{Version: 1, OK: false, Error: tc.want}
		if diff := cmp.Diff(want, resp); diff != "" {
			t.Errorf("%s: response (-want +got):\n%s", tc.req, diff)
		}
	}
}

func TestControlSocketFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "anycostd.sock")
	ln, err := listenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || !di.IsDir() {
		t.Errorf("socket folder not created: %v", err)
	}

	// A live socket is not taken over.
	if _, err := listenControl(path); err == nil || !strings.Contains(err.Error(), "another anycostd is listening") {
		t.Errorf("second listener on a live socket: err = %v", err)
	}

	// Closing removes the file.
	ln.Close()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left after close: %v", err)
	}

	// A stale socket (no listener behind it) is replaced.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("stale socket not in place: %v", err)
	}
	ln, err = listenControl(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()

	// A file that is not a socket is left alone.
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := listenControl(path); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Errorf("regular file at the socket path: err = %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "x" {
		t.Errorf("regular file was touched: %q, %v", b, err)
	}
}

func TestReachErrorText(t *testing.T) {
	const path = "/run/anycostd/anycostd.sock"
	for _, tc := range []struct {
		errno syscall.Errno
		want  string
	}{
		{syscall.ENOENT, "cannot reach anycostd at /run/anycostd/anycostd.sock: connect: no such file or directory (is the daemon running?)"},
		{syscall.ECONNREFUSED, "cannot reach anycostd at /run/anycostd/anycostd.sock: connect: connection refused (is the daemon running?)"},
		{syscall.EACCES, "cannot reach anycostd at /run/anycostd/anycostd.sock: connect: permission denied (the socket is mode 0600: run as the daemon's user, usually root)"},
	} {
		err := &reachError{path: path, err: &net.OpError{
			Op: "dial", Net: "unix", Addr: &net.UnixAddr{Name: path, Net: "unix"},
			Err: os.NewSyscallError("connect", tc.errno),
		}}
		if err.Error() != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.errno, err, tc.want)
		}
	}
}

// TestControlPermissionDenied checks the CLI against a socket the user may
// not open. Root passes every permission check, so as root the test runs
// the CLI again as user nobody (uid 65534) in a child process (the test
// binary, see TestMain).
func TestControlPermissionDenied(t *testing.T) {
	// A folder others may enter (t.TempDir's parent is private).
	dir, err := os.MkdirTemp("", "anycostd-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "anycostd.sock")
	ln, err := listenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBackend{status: sampleStatus()}
	for _, v := range sampleCost(t) {
		b.explain = append(b.explain, v.Explanation)
	}
	srv := newControlServer(ln, b, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go srv.serve(context.Background())
	defer srv.close()

	want := "anycostd: cannot reach anycostd at " + path +
		": connect: permission denied (the socket is mode 0600: run as the daemon's user, usually root)\n"
	commands := [][]string{
		{"status", "--control", path},
		{"cost", "--control", path, "dns"},
		{"cost", "--json", "--control", path},
		{"cost", "--watch", "--control", path},
		{"drain", "--control", path, "dns"},
	}
	if os.Geteuid() != 0 {
		for _, args := range commands {
			code, stdout, stderr := runCLI(args...)
			if code != exitFailure || stdout != "" || stderr != want {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1, %q", args, code, stdout, stderr, want)
			}
		}
		return
	}
	// Copy the test binary where nobody can run it.
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "anycostd.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range commands {
		cmd := exec.Command(bin)
		cmd.Env = childEnv(args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			t.Skipf("cannot start the test binary as nobody (%v); TestReachErrorText covers the message", err)
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitFailure || stdout.String() != "" || stderr.String() != want {
			t.Errorf("%q as nobody: %v, stdout %q, stderr %q; want exit 1 and %q", args, err, stdout.String(), stderr.String(), want)
		}
	}
	if b.explained() != 0 {
		t.Errorf("the daemon answered %d cost requests from nobody", b.explained())
	}
}
