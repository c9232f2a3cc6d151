package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/control/controltest"
)

func TestControlRoundTrip(t *testing.T) {
	b := &controltest.Backend{StatusResult: controltest.Status(), Entries: controltest.LSDB()}
	c := control.Client{Path: controltest.Serve(t, b)}
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.StatusResult, *st, cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("status over the socket (-sent +received):\n%s", diff)
	}

	es, err := c.LSDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.Entries, es); diff != "" {
		t.Errorf("lsdb over the socket (-sent +received):\n%s", diff)
	}

	nr, err := c.Neighbors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := control.NeighborsResult{Interface: "eth0", InterfaceState: "DROther", Neighbors: b.StatusResult.OSPF.Neighbors}
	if diff := cmp.Diff(want, *nr); diff != "" {
		t.Errorf("neighbors over the socket (-want +got):\n%s", diff)
	}

	if r, err := c.Drain(ctx, "dns", true); err != nil || r != (control.DrainResult{Service: "dns", Drained: true}) {
		t.Errorf("drain: %+v, %v", r, err)
	}
	if _, err := c.Drain(ctx, "", false); err != nil {
		t.Errorf("undrain of every service: %v", err)
	}
	if got := b.Drains(); !cmp.Equal(got, []string{"dns=true", "=false"}) {
		t.Errorf("drains %q", got)
	}
}

func TestControlErrors(t *testing.T) {
	b := &controltest.Backend{StatusResult: controltest.Status()}
	path := controltest.Serve(t, b)
	c := control.Client{Path: path}

	// Without an OSPF instance: no neighbors.
	b.StatusResult.OSPF = nil
	if _, err := c.Neighbors(context.Background()); err == nil || !strings.Contains(err.Error(), control.ErrNoOSPF.Error()) {
		t.Errorf("neighbors without OSPF: err = %v", err)
	}

	if _, err := c.CallRaw(context.Background(), "frobnicate", nil); err == nil ||
		!strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: err = %v", err)
	}

	b.Err = errors.New("instance stopped")
	if _, err := c.Status(context.Background()); err == nil ||
		err.Error() != "anycostd at "+path+": status: instance stopped" {
		t.Errorf("backend error: err = %v", err)
	}

	// Raw requests: a wrong version, an unknown field, no JSON at all.
	for _, tc := range []struct{ req, want string }{
		{`{"version":1,"command":"status"}`, "unsupported protocol version 1 (this anycostd speaks version 2)"},
		{`{"version":2,"command":"status","extra":1}`, `bad request: json: unknown field "extra"`},
		{`hello`, "bad request: invalid character 'h' looking for beginning of value"},
	} {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, tc.req)
		c.(*net.UnixConn).CloseWrite()
		var resp control.Response
		err = json.NewDecoder(c).Decode(&resp)
		c.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.req, err)
		}
		want := control.Response{Version: control.Version, OK: false, Error: tc.want}
		if diff := cmp.Diff(want, resp); diff != "" {
			t.Errorf("%s: response (-want +got):\n%s", tc.req, diff)
		}
	}
}

func TestControlSocketFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "anycostd.sock")
	ln, err := control.Listen(path)
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
	if _, err := control.Listen(path); err == nil || !strings.Contains(err.Error(), "another anycostd is listening") {
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
	ln, err = control.Listen(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()

	// A file that is not a socket is left alone.
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := control.Listen(path); err == nil || !strings.Contains(err.Error(), "is not a socket") {
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
		err := &control.ReachError{Path: path, Err: &net.OpError{
			Op: "dial", Net: "unix", Addr: &net.UnixAddr{Name: path, Net: "unix"},
			Err: os.NewSyscallError("connect", tc.errno),
		}}
		if err.Error() != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.errno, err, tc.want)
		}
	}
}
