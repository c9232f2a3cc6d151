package lab

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// addrOpt lets cmp compare netip.Addr values with ==.
var addrOpt = cmpopts.EquateComparable(netip.Addr{})

// TestHarnessFRRServers builds the reference topology with FRR only: one
// router, two FRR servers advertising the same anycast /128 from lo. The
// router must install a 2-way ECMP route to both servers' link-local
// addresses, follow a cost change, and the lab must leave nothing behind.
func TestHarnessFRRServers(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	RequireRoot(t)
	RequireFRR(t)
	var (
		labName string
		dir     string
		pids    []int
	)
	t.Run("topology", func(t *testing.T) {
		l := New(t)
		labName, dir = l.Name(), l.Dir()
		link := l.AddLink("lan")
		r := l.AddHost("r1")
		r.Sysctl("net.ipv6.conf.all.forwarding", "1")
		r.Attach(link, "eth0", netip.MustParsePrefix("2001:db8:1::1/64"))
		var (
			servers   []Iface
			serverFRR []*FRR
		)
		for i, id := range []string{"192.0.2.11", "192.0.2.12"} {
			s := l.AddHost("s" + string(rune('1'+i)))
			servers = append(servers, s.Attach(link, "eth0"))
			s.AddAddr("lo", Anycast)
			serverFRR = append(serverFRR, s.StartFRR(ServerConfig(id, "eth0")))
		}
		router := r.StartFRR(RouterConfig("192.0.2.1", "eth0"))
		for _, f := range l.frrs {
			for _, p := range f.Procs() {
				pids = append(pids, p.Pid())
			}
		}
		both := []netip.Addr{servers[0].LinkLocal, servers[1].LinkLocal}
		slices.SortFunc(both, netip.Addr.Compare)

		took := WaitFor(t, 30*time.Second, "2-way ECMP route for the anycast /128 in r1's kernel FIB", func() (bool, error) {
			hops, err := r.FIBNextHops(Anycast)
			if err != nil {
				return false, err
			}
			if d := cmp.Diff(both, hops, addrOpt); d != "" {
				return false, errors.New("FIB next hops (-want +got):\n" + d)
			}
			return true, nil
		})
		t.Logf("ECMP route in r1's FIB %v after FRR start", took.Round(time.Millisecond))
		hops, err := router.Route(Anycast.String())
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(both, hops, addrOpt); d != "" {
			t.Errorf("zebra's next hops for %s (-want +got):\n%s", Anycast, d)
		}

		// A better cost on s1 leaves only s1 in the FIB. Wait a little
		// first: a new instance of s1's Intra-Area-Prefix-LSA that reaches
		// FRR within MinLSArrival (1 s) of the last one is dropped, and s1
		// repairs that only at its next retransmission, 5 s later.
		// (Not a worse cost: FRR 8.4.4 intermittently keeps the old ECMP
		// path when one advertiser's metric goes up, although it installs
		// the new LSA; see testdata/frr/README.md.)
		time.Sleep(2 * time.Second)
		if _, err := serverFRR[0].Vtysh("configure terminal", "interface lo", "ipv6 ospf6 cost 5"); err != nil {
			t.Fatal(err)
		}
		took = WaitFor(t, 15*time.Second, "r1's FIB to keep only s1 after its cost went to 5", func() (bool, error) {
			hops, err := r.FIBNextHops(Anycast)
			if err != nil {
				return false, err
			}
			return slices.Equal(hops, []netip.Addr{servers[0].LinkLocal}), nil
		})
		t.Logf("r1's FIB followed the cost change in %v", took.Round(time.Millisecond))

		if ns := l.Namespaces(); len(ns) != 4 {
			t.Errorf("lab namespaces = %q, want 4 (1 link, 3 hosts)", ns)
		}
	})
	if labName == "" {
		t.Fatal("the topology subtest did not create a lab")
	}

	// Cleanup of the subtest's lab has run.
	out, err := runCmd("ip", "netns", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, labName+"-") {
			t.Errorf("namespace left behind: %s", line)
		}
	}
	if len(pids) != 9 {
		t.Errorf("recorded %d FRR pids, want 9 (3 daemons x 3 hosts)", len(pids))
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after cleanup (kill 0: %v)", pid, err)
		}
	}
	for _, p := range []string{dir} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind (stat: %v)", p, err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(frrRunDir, labName+"-*")); len(m) > 0 {
		t.Errorf("FRR run folders left behind: %q", m)
	}
}

// TestHostBasics checks Run, Start/Signal/Wait, Do and Attach without FRR.
func TestHostBasics(t *testing.T) {
	l := New(t)
	link := l.AddLink("lan")
	a, b := l.AddHost("a"), l.AddHost("b")
	ia := a.Attach(link, "eth0", netip.MustParsePrefix("2001:db8:1::a/64"))
	ib := b.Attach(link, "eth0")
	if !ia.LinkLocal.IsLinkLocalUnicast() || !ib.LinkLocal.IsLinkLocalUnicast() || ia.LinkLocal == ib.LinkLocal {
		t.Fatalf("link-locals %v, %v: want two distinct fe80:: addresses", ia.LinkLocal, ib.LinkLocal)
	}

	// Both hosts reach each other across the bridge (UDP over link-local).
	var conn net.PacketConn
	if err := b.Do(func() error {
		var err error
		conn, err = net.ListenPacket("udp6", "[::]:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	if err := a.Do(func() error {
		c, err := net.Dial("udp6", net.JoinHostPort(ib.LinkLocal.String()+"%eth0", strconv.Itoa(port)))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("hello"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 100)
	n, from, err := conn.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("b read %q, %v: want hello", buf[:n], err)
	}
	if got := from.(*net.UDPAddr).IP; !got.Equal(net.IP(ia.LinkLocal.AsSlice())) {
		t.Errorf("b got the datagram from %v, want a's link-local %v", got, ia.LinkLocal)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Run executes inside the namespace: a sees its own interface only.
	out, err := b.Run(ctx, "ip", "-6", "addr", "show", "dev", "eth0")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "2001:db8:1::a") {
		t.Errorf("b's eth0 shows a's address:\n%s", out)
	}

	// Do runs Go code in the namespace.
	var names []string
	if err := a.Do(func() error {
		ifs, err := netInterfaces()
		names = ifs
		return err
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if d := cmp.Diff([]string{"eth0", "lo"}, names); d != "" {
		t.Errorf("interfaces seen by Do in a (-want +got):\n%s", d)
	}

	// Start, Signal, Wait, log file.
	p := a.Start("sleeper", "sh", "-c", "echo started; trap 'echo got TERM; exit 3' TERM; while :; do sleep 0.1; done")
	WaitFor(t, 5*time.Second, "sleeper to start", func() (bool, error) {
		b, err := os.ReadFile(p.LogPath())
		return strings.Contains(string(b), "started"), err
	})
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = p.WaitTimeout(5 * time.Second)
	var ee interface{ ExitCode() int }
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("Wait after SIGTERM = %v, want exit status 3", err)
	}
	if b, _ := os.ReadFile(p.LogPath()); !strings.Contains(string(b), "got TERM") {
		t.Errorf("log %s = %q, want the trap's output", p.LogPath(), b)
	}
	if err := p.Signal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("Signal after exit = %v, want os.ErrProcessDone", err)
	}

	// Kill takes the whole process group.
	q := b.Start("group", "sh", "-c", "sleep 60 & sleep 60 & wait")
	WaitFor(t, 5*time.Second, "3 processes in b", func() (bool, error) {
		out, err := runCmd("ip", "netns", "pids", b.Namespace())
		return len(strings.Fields(string(out))) == 3, err
	})
	q.Kill()
	WaitFor(t, 5*time.Second, "no process left in b", func() (bool, error) {
		out, err := runCmd("ip", "netns", "pids", b.Namespace())
		return len(strings.Fields(string(out))) == 0, err
	})
}

func TestIsLabNamespace(t *testing.T) {
	for name, want := range map[string]bool{
		"acd0a1b2c-r1":     true,
		"acd0a1b2c-br-lan": true,
		"acd0a1b2c-":       false,
		"acd0a1b2c":        false,
		"acdcap-123-r1":    false,
		"acd0a1b2-r1":      false,
		"acd0A1B2C-r1":     false,
		"xacd0a1b2c-r1":    false,
	} {
		if got := isLabNamespace(name); got != want {
			t.Errorf("isLabNamespace(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestCleanStaleKeepsFresh: CleanStale must not touch a lab younger than
// maxAge (labs of tests running right now look just like stale ones).
func TestCleanStaleKeepsFresh(t *testing.T) {
	l := New(t)
	h := l.AddHost("a")
	removed, err := CleanStale(time.Hour)
	if err != nil {
		t.Errorf("CleanStale: %v", err)
	}
	for _, p := range removed {
		if strings.Contains(p, l.Name()) {
			t.Errorf("CleanStale removed %s of a lab that is seconds old", p)
		}
	}
	if _, err := os.Stat(filepath.Join(netnsDir, h.Namespace())); err != nil {
		t.Errorf("namespace %s after CleanStale: %v", h.Namespace(), err)
	}
	if _, err := os.Stat(l.Dir()); err != nil {
		t.Errorf("lab dir after CleanStale: %v", err)
	}
}
