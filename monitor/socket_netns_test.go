package monitor

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/internal/testns"
)

var anycast = netip.MustParseAddr("2001:db8:53::53")

// waitWatching waits until m's destroy watcher is open.
func waitWatching(t *testing.T, m *SocketMonitor) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !m.watching(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("destroy watcher not open: %v", m.WatchErr())
		}
	}
}

// startHolder starts a process holding a UDP socket on addr.
func startHolder(t *testing.T, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), holderEnv+"="+addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("holder on %s: %q, %v", addr, line, err)
	}
	return cmd
}

// TestSocketMonitorKillNetns kills a process holding the service socket and
// measures how fast the monitor reports it absent. The poll interval is 10 s,
// so only the destroy notification can explain a prompt report.
func TestSocketMonitorKillNetns(t *testing.T) {
	if !inNetns(t) {
		return
	}
	m := NewSocketMonitor()
	defer m.Close()
	waitWatching(t, m)

	// A second service on another port must never be woken.
	bg, stopBg := context.WithCancel(context.Background())
	defer stopBg()
	other := make(chan Sample)
	go m.Run(bg, "other", SocketConfig{Addr: anycast, Port: 5354, Interval: time.Hour}, other)
	if s := recv(t, other); s.Socket == nil || s.Socket.Present {
		t.Fatalf("other service: %+v", s)
	}

	const trials = 20
	var lat []time.Duration
	for i := 0; i < trials; i++ {
		addr := "[2001:db8:53::53]:5353"
		if i%2 == 1 {
			addr = "[::]:5353"
		}
		holder := startHolder(t, addr)
		ctx, cancel := context.WithCancel(context.Background())
		out := make(chan Sample)
		done := make(chan error, 1)
		go func() {
			done <- m.Run(ctx, "dns", SocketConfig{Addr: anycast, Port: 5353, Interval: 10 * time.Second}, out)
		}()
		if s := recv(t, out); s.Err != nil || s.Socket == nil || !s.Socket.Present || s.Socket.Sockets != 1 {
			t.Fatalf("trial %d (%s): first sample %+v %+v, want one socket", i, addr, s, s.Socket)
		}
		killed := time.Now()
		if err := holder.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		s := recv(t, out)
		lat = append(lat, time.Since(killed))
		if s.Socket == nil || s.Socket.Present || !s.Socket.Destroyed {
			t.Fatalf("trial %d (%s): after kill %+v %+v, want absent, destroy-triggered", i, addr, s, s.Socket)
		}
		holder.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	quiet(t, other, 20*time.Millisecond)

	slices.Sort(lat)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	t.Logf("SIGKILL -> absent sample over %d trials: min %v p50 %v p90 %v max %v mean %v",
		trials, lat[0], lat[len(lat)/2], lat[len(lat)*9/10], lat[len(lat)-1], sum/time.Duration(len(lat)))
}

// TestSocketMonitorFillNetns fills the service socket's queue and checks
// fill, drop deltas and the immediate absence after close.
func TestSocketMonitorFillNetns(t *testing.T) {
	if !inNetns(t) {
		return
	}
	srv, err := net.ListenUDP("udp6", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("[::]:5353")))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}

	m := NewSocketMonitor()
	defer m.Close()
	waitWatching(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan Sample)
	go m.Run(ctx, "dns", SocketConfig{Addr: anycast, Port: 5353, Interval: 20 * time.Millisecond}, out)
	s := recv(t, out)
	if s.Socket == nil || !s.Socket.Present || s.Socket.Fill != 0 || s.Socket.DropsDelta != 0 || s.Socket.RcvBuf == 0 {
		t.Fatalf("first sample %+v %+v", s, s.Socket)
	}

	cli, err := net.DialUDP("udp6", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(anycast, 5353)))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	const sent = 20
	for i := 0; i < sent; i++ {
		if _, err := cli.Write(make([]byte, 512)); err != nil {
			t.Fatal(err)
		}
	}
	var drops uint32
	var full *SocketState
	for deadline := time.Now().Add(2 * time.Second); full == nil; {
		if time.Now().After(deadline) {
			t.Fatal("no sample showing the drops")
		}
		s := recv(t, out)
		if s.Socket == nil {
			t.Fatalf("sample %+v", s)
		}
		drops += s.Socket.DropsDelta
		if s.Socket.DropsDelta > 0 {
			full = s.Socket
		}
	}
	t.Logf("after %d datagrams of 512 bytes: %+v", sent, *full)
	if full.Fill < 0.5 || full.RQueue == 0 || full.RcvBuf == 0 {
		t.Errorf("full socket: %+v, want fill above 0.5", *full)
	}
	// Every datagram was either queued or dropped.
	queued := testns.DrainUDP(t, srv)
	if int(drops)+queued != sent {
		t.Errorf("drops %d + queued %d != sent %d", drops, queued, sent)
	}

	// Close the socket, watched by a monitor whose poll (10 s) cannot be
	// what reports the absence.
	cancel()
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	out = make(chan Sample)
	go m.Run(ctx, "dns", SocketConfig{Addr: anycast, Port: 5353, Interval: 10 * time.Second}, out)
	if s := recv(t, out); s.Socket == nil || !s.Socket.Present {
		t.Fatalf("before close: %+v %+v", s, s.Socket)
	}
	closed := time.Now()
	srv.Close()
	s = recv(t, out)
	t.Logf("close -> absent sample: %v", time.Since(closed))
	if s.Socket == nil || s.Socket.Present || !s.Socket.Destroyed {
		t.Errorf("after close: %+v %+v, want absent, destroy-triggered", s, s.Socket)
	}
}

// TestRunSocketNetns runs the single-service wrapper with its own watcher.
func TestRunSocketNetns(t *testing.T) {
	if !inNetns(t) {
		return
	}
	holder := startHolder(t, "[2001:db8:53::53]:53")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan Sample)
	done := make(chan error, 1)
	go func() {
		done <- RunSocket(ctx, "dns", SocketConfig{Addr: anycast, Port: 53, Interval: 10 * time.Millisecond}, out)
	}()
	if s := recv(t, out); s.Socket == nil || !s.Socket.Present {
		t.Fatalf("first sample %+v %+v", s, s.Socket)
	}
	holder.Process.Kill()
	for deadline := time.Now().Add(2 * time.Second); ; {
		if time.Now().After(deadline) {
			t.Fatal("not absent after kill")
		}
		if s := recv(t, out); s.Socket != nil && !s.Socket.Present {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
