package lab

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Issue 6, part 1: the RFC 7166 authentication trailer between anycostd
// and FRR 8.4 (Debian 12), with the daemon, its configuration and key
// files.

// The lab's keys. FRR treats a key as a C string; these are plain words.
const (
	authKeyRight = "anycostd-lab-key"
	authKeyWrong = "not-the-lab-key"
	authKey2     = "anycostd-lab-key-2"
)

// authRouter turns on the trailer on the router's eth0 with key ID 1,
// HMAC-SHA-256 and key (FRR 8.4: `ipv6 ospf6 authentication key-id 1
// hash-algo hmac-sha-256 key ...`).
func authRouter(t *testing.T, f *Farm, key string) {
	t.Helper()
	if _, err := f.Router.Vtysh("configure terminal", "interface eth0",
		"ipv6 ospf6 authentication key-id 1 hash-algo hmac-sha-256 key "+key); err != nil {
		t.Fatal(err)
	}
	out, err := f.Router.Vtysh("show ipv6 ospf6 interface eth0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Authentication trailer is enabled") {
		t.Fatalf("authentication not on at the router:\n%s", out)
	}
}

// authKeyFile writes a key file (mode 0600) for server s and returns its
// path.
func authKeyFile(t *testing.T, s *Server, name, key string) string {
	t.Helper()
	p := filepath.Join(s.Farm.Lab.Dir(), s.Name()+"-"+name)
	if err := os.WriteFile(p, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// authSeqFile is where server s keeps its sequence number state.
func authSeqFile(s *Server) string {
	return filepath.Join(s.Farm.Lab.Dir(), s.Name()+"-auth-seq")
}

// authTOML is the [ospf.auth] table for server s with one key (ID 1,
// HMAC-SHA-256) in keyFile, dialect frr8 (FRR 8.4) and extra lines.
func authTOML(s *Server, keyFile string, extra ...string) string {
	return fmt.Sprintf(`[ospf.auth]
key_id = 1
algorithm = "hmac-sha-256"
key_file = %q
dialect = "frr8"
seq_file = %q
%s
`, keyFile, authSeqFile(s), strings.Join(extra, "\n"))
}

// authDrops returns server s's authentication drops (status: dropped
// auth-<reason>).
func authDrops(s *Server) (map[string]uint64, error) {
	st, err := s.Status()
	if err != nil {
		return nil, err
	}
	m := map[string]uint64{}
	for k, v := range st.Counters.Dropped {
		if r, ok := strings.CutPrefix(k, "auth-"); ok {
			m[r] = v
		}
	}
	return m, nil
}

// authFull reports whether the router lists s Full and s lists the
// router Full.
func authFull(f *Farm, s *Server) (bool, error) {
	st, err := f.Router.NeighborState(s.RouterID)
	if err != nil || st != "Full" {
		return false, fmt.Errorf("router sees %s in %q (%v)", s.RouterID, st, err)
	}
	ss, err := s.Status()
	if err != nil {
		return false, err
	}
	for _, n := range ss.Neighbors {
		if n.RouterID == "192.0.2.1" {
			if n.State != "Full" {
				return false, fmt.Errorf("%s sees the router in %q", s.Name(), n.State)
			}
			return true, nil
		}
	}
	return false, fmt.Errorf("%s does not list the router", s.Name())
}

var authFRRDrops = regexp.MustCompile(`Packet drop Tx (\d+), Packet drop Rx (\d+)`)

// authRouterRxDrops is FRR's count of received packets it dropped for
// authentication on eth0.
func authRouterRxDrops(t *testing.T, f *Farm) int {
	t.Helper()
	out, err := f.Router.Vtysh("show ipv6 ospf6 interface eth0")
	if err != nil {
		t.Fatal(err)
	}
	m := authFRRDrops.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no authentication counters in the router's interface:\n%s", out)
	}
	n, _ := strconv.Atoi(m[2])
	return n
}

// authStayFull checks every 250 ms for d that the router and s are Full with
// each other and that the router's FIB routes the anycast prefix via want.
func authStayFull(t *testing.T, f *Farm, d time.Duration, what string, want []netip.Addr, servers ...*Server) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		for _, s := range servers {
			if ok, err := authFull(f, s); !ok {
				t.Fatalf("%s: %v", what, err)
			}
		}
		hops, err := f.RouterHost.FIBNextHops(Anycast)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(hops) != fmt.Sprint(want) {
			t.Fatalf("%s: FIB next hops %v, want %v", what, hops, want)
		}
	}
}

// TestAuth: one FRR router with the trailer on eth0 and three servers:
// s1 and s2 with the router's key, s3 with a wrong one.
//  1. s1 and s2 Full, 2-way ECMP for the anycast /128 in the router's
//     kernel FIB, no drops at either end;
//  2. s3 started: never Full (watched for 10 s), never in the FIB; its
//     drops are counted (status: auth-bad-hmac) and logged, and the
//     router drops its packets; then s3 is stopped;
//  3. FRR's Hello, captured on s1's bridge port, sent to s1 again later
//     byte for byte: dropped as a replay (status: auth-replay), the same
//     frame with one byte changed as bad-hmac; s1 stays Full throughout;
//  4. s1 killed with SIGKILL and restarted: a new boot count from its
//     sequence file, FRR accepts its packets at once (no drops), Full
//     and in the FIB.
func TestAuth(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	f := NewFarm(t, 3)
	authRouter(t, f, authKeyRight)
	s1, s2, s3 := f.Servers[0], f.Servers[1], f.Servers[2]
	for _, s := range []*Server{s1, s2} {
		s.WriteConfig(s.TOML(authTOML(s, authKeyFile(t, s, "ospf.key", authKeyRight)), ServiceTOML("dns", Anycast, 10)))
	}
	s3.WriteConfig(s3.TOML(authTOML(s3, authKeyFile(t, s3, "ospf.key", authKeyWrong)), ServiceTOML("dns", Anycast, 10)))
	// s3 starts later: its Hellos, signed with the wrong key, would be
	// dropped by s1 and s2 too.
	s1.Start()
	s2.Start()
	both := LinkLocals(s1, s2)

	t.Run("right key: Full and ECMP", func(t *testing.T) {
		took := fibIs(t, f, Anycast, 30*time.Second, "2-way ECMP over authenticated adjacencies", both)
		t.Logf("2-way ECMP in the router's FIB %v after start, every packet authenticated", took.Round(time.Millisecond))
		for _, s := range []*Server{s1, s2} {
			WaitFor(t, 5*time.Second, s.Name()+" Full both ways", func() (bool, error) { return authFull(f, s) })
			drops, err := authDrops(s)
			if err != nil {
				t.Fatal(err)
			}
			if len(drops) != 0 {
				t.Errorf("%s dropped packets: %v", s.Name(), drops)
			}
		}
		if rx := authRouterRxDrops(t, f); rx != 0 {
			t.Errorf("the router dropped %d packets", rx)
		}
		out, _ := f.Router.Vtysh("show ipv6 ospf6 neighbor")
		t.Logf("router: show ipv6 ospf6 neighbor\n%s", out)
	})

	t.Run("wrong key: no adjacency, drops counted and logged", func(t *testing.T) {
		s3.Start()
		start := time.Now()
		for time.Since(start) < 10*time.Second {
			st, err := f.Router.NeighborState(s3.RouterID)
			if err != nil {
				t.Fatal(err)
			}
			if st == "Full" {
				t.Fatalf("the router lists %s (wrong key) Full", s3.RouterID)
			}
			hops, err := f.RouterHost.FIBNextHops(Anycast)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(hops) != fmt.Sprint(both) {
				t.Fatalf("FIB next hops %v, want only s1 and s2 %v", hops, both)
			}
			time.Sleep(250 * time.Millisecond)
		}
		drops, err := authDrops(s3)
		if err != nil {
			t.Fatal(err)
		}
		if drops["bad-hmac"] == 0 {
			t.Errorf("s3's status shows auth drops %v, want auth-bad-hmac > 0", drops)
		}
		st, err := s3.Status()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range st.Neighbors {
			if n.RouterID == "192.0.2.1" {
				t.Errorf("s3 lists the router as a neighbor (%s) although it never verified a packet", n.State)
			}
		}
		log, err := os.ReadFile(s3.Proc.LogPath())
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`msg="dropped OSPF packet: authentication failed" reason=bad-hmac src=fe80::\S+ err=.*router_id=192\.0\.2\.1`).Match(log) {
			t.Errorf("s3's log has no drop line for the router's packets:\n%s", tail(s3.Proc.LogPath(), 20))
		}
		rx := authRouterRxDrops(t, f)
		if rx == 0 {
			t.Errorf("the router dropped none of s3's packets")
		}
		t.Logf("after 10 s: s3 never Full; s3 dropped %v; the router dropped %d packets", drops, rx)
		// The other subtests count drops exactly: s3 goes.
		s3.Signal(syscall.SIGTERM)
		if err := s3.Proc.WaitTimeout(10 * time.Second); err != nil {
			t.Fatalf("s3 after SIGTERM: %v", err)
		}
		time.Sleep(time.Second)
	})

	t.Run("replayed packet rejected", func(t *testing.T) {
		port := authBridgePort(t, f, s1)
		sock := openAuthPort(t, f.LAN, port)
		frame := authCaptureHello(t, sock, 5*time.Second)
		t.Logf("captured the router's Hello on %s's bridge port: %d bytes, sequence %#x", s1.Name(), len(frame), authHelloSeq(frame))
		time.Sleep(2500 * time.Millisecond) // s1 accepts newer Hellos meanwhile
		before, err := authDrops(s1)
		if err != nil {
			t.Fatal(err)
		}
		const replays = 3
		for range replays {
			sock.send(t, frame)
		}
		tampered := append([]byte(nil), frame...)
		tampered[len(tampered)-1] ^= 0x01 // the digest's last byte
		sock.send(t, tampered)
		var after map[string]uint64
		WaitFor(t, 5*time.Second, "s1 to count the replays", func() (bool, error) {
			var err error
			after, err = authDrops(s1)
			return after["replay"] >= before["replay"]+replays && after["bad-hmac"] >= before["bad-hmac"]+1, err
		})
		time.Sleep(time.Second) // anything else that would be counted
		if after, err = authDrops(s1); err != nil {
			t.Fatal(err)
		}
		if d := after["replay"] - before["replay"]; d != replays {
			t.Errorf("s1 counted %d replays, want %d", d, replays)
		}
		if d := after["bad-hmac"] - before["bad-hmac"]; d != 1 {
			t.Errorf("s1 counted %d bad digests, want 1 (the changed frame)", d)
		}
		t.Logf("s1's auth drops before %v, after %v", before, after)
		log, err := os.ReadFile(s1.Proc.LogPath())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(log), `reason=replay`) {
			t.Errorf("s1's log has no replay drop line")
		}
		authStayFull(t, f, 5*time.Second, "after the replay", both, s1, s2)
	})

	t.Run("kill -9 and restart: a new boot count, accepted at once", func(t *testing.T) {
		seqBefore, err := os.ReadFile(authSeqFile(s1))
		if err != nil {
			t.Fatal(err)
		}
		rx := authRouterRxDrops(t, f)
		s1.Signal(syscall.SIGKILL)
		s1.Proc.Wait()
		start := time.Now()
		s1.Start()
		WaitFor(t, 15*time.Second, "s1 Full again after kill -9", func() (bool, error) { return authFull(f, s1) })
		full := time.Since(start)
		took := fibIs(t, f, Anycast, 15*time.Second, "2-way ECMP again", both)
		seqAfter, err := os.ReadFile(authSeqFile(s1))
		if err != nil {
			t.Fatal(err)
		}
		b0, b1 := authBootCount(t, seqBefore), authBootCount(t, seqAfter)
		if b1 != b0+1 {
			t.Errorf("boot count %d before, %d after the restart; want +1", b0, b1)
		}
		if d := authRouterRxDrops(t, f) - rx; d != 0 {
			t.Errorf("the router dropped %d of s1's packets after its restart", d)
		}
		t.Logf("kill -9, restart: boot count %d -> %d, Full after %v, ECMP again %v later",
			b0, b1, full.Round(time.Millisecond), took.Round(time.Millisecond))
	})
}

// authBootCount reads boot=N from a sequence state file.
func authBootCount(t *testing.T, state []byte) int {
	t.Helper()
	var boot, reserved int
	if _, err := fmt.Sscanf(string(state), "boot=%d reserved=%d", &boot, &reserved); err != nil {
		t.Fatalf("sequence state %q: %v", state, err)
	}
	return boot
}

// TestAuthKeyRollover: a key change without losing the adjacency. The
// router's keychain holds keys 1 and 2 (it sends with key 1 and accepts
// both); the server's configuration has key 1 sent until T and key 2 from
// T, both accepted. After T the server sends key 2; then key 1 leaves the
// router's keychain and the router sends key 2. Full and in the FIB
// throughout, no drops at either end.
func TestAuthKeyRollover(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	f := NewFarm(t, 1)
	s := f.Servers[0]
	if _, err := f.Router.Vtysh("configure terminal",
		"key chain acd",
		"key 1", "key-string "+authKeyRight, "cryptographic-algorithm hmac-sha-256", "exit",
		"key 2", "key-string "+authKey2, "cryptographic-algorithm hmac-sha-256", "exit", "exit",
		"interface eth0", "ipv6 ospf6 authentication keychain acd"); err != nil {
		t.Fatal(err)
	}
	switchAt := time.Now().Add(20 * time.Second).UTC().Truncate(time.Second)
	k1 := authKeyFile(t, s, "ospf.key.1", authKeyRight)
	k2 := authKeyFile(t, s, "ospf.key.2", authKey2)
	s.WriteConfig(s.TOML(authTOML(s, k1, "send_until = "+switchAt.Format(time.RFC3339), fmt.Sprintf(`
[[ospf.auth.key]]
key_id = 2
algorithm = "hmac-sha-256"
key_file = %q
send_from = %s
`, k2, switchAt.Format(time.RFC3339))), ServiceTOML("dns", Anycast, 10)))
	s.Start()
	one := LinkLocals(s)
	fibIs(t, f, Anycast, 20*time.Second, "the route over the keychain adjacency", one)
	WaitFor(t, 5*time.Second, "Full both ways", func() (bool, error) { return authFull(f, s) })
	sock := openAuthPort(t, f.LAN, authBridgePort(t, f, s))

	ids := func() (fromRouter, fromServer map[uint16]int) {
		return authKeyIDs(t, sock, 2500*time.Millisecond)
	}
	r, o := ids()
	t.Logf("before %s: the router sends key IDs %v, %s sends %v", switchAt.Format(time.TimeOnly), r, s.Name(), o)
	if len(r) != 1 || r[1] == 0 || len(o) != 1 || o[1] == 0 {
		t.Errorf("before the switch: router %v, server %v; want key 1 only", r, o)
	}
	if time.Until(switchAt) < 2*time.Second {
		t.Fatalf("Full too late to watch the switch at %v", switchAt)
	}
	authStayFull(t, f, time.Until(switchAt), "until the server's switch", one, s)
	authStayFull(t, f, 6*time.Second, "after the server's switch", one, s)
	r, o = ids()
	t.Logf("after the server's switch: the router sends %v, %s sends %v", r, s.Name(), o)
	if r[1] == 0 || len(o) != 1 || o[2] == 0 {
		t.Errorf("after the server's switch: router %v, server %v; want the router on key 1, the server on key 2", r, o)
	}
	if _, err := f.Router.Vtysh("configure terminal", "key chain acd", "no key 1"); err != nil {
		t.Fatal(err)
	}
	authStayFull(t, f, 6*time.Second, "after the router dropped key 1", one, s)
	r, o = ids()
	t.Logf("after the router's switch: the router sends %v, %s sends %v", r, s.Name(), o)
	if len(r) != 1 || r[2] == 0 || len(o) != 1 || o[2] == 0 {
		t.Errorf("after the router's switch: router %v, server %v; want key 2 only", r, o)
	}
	drops, err := authDrops(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(drops) != 0 {
		t.Errorf("the server dropped packets during the rollover: %v", drops)
	}
	if rx := authRouterRxDrops(t, f); rx != 0 {
		t.Errorf("the router dropped %d packets during the rollover", rx)
	}
}

// authBridgePort returns the index, in the link's namespace, of the bridge
// port that is the other end of server s's eth0.
func authBridgePort(t *testing.T, f *Farm, s *Server) int {
	t.Helper()
	out, err := runCmd("ip", "-n", s.Namespace(), "-j", "link", "show", "dev", "eth0")
	if err != nil {
		t.Fatal(err)
	}
	var links []struct {
		LinkIndex int `json:"link_index"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 || links[0].LinkIndex == 0 {
		t.Fatalf("peer of %s's eth0 in %q: %v", s.Name(), out, err)
	}
	// Check that the index is a port of the link's bridge.
	out, err = runCmd("ip", "-n", f.LAN.Namespace(), "-j", "link", "show", "master", "br0")
	if err != nil {
		t.Fatal(err)
	}
	var ports []struct {
		Index int `json:"ifindex"`
	}
	if err := json.Unmarshal(out, &ports); err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if p.Index == links[0].LinkIndex {
			return p.Index
		}
	}
	t.Fatalf("index %d (peer of %s's eth0) is not a port of br0: %s", links[0].LinkIndex, s.Name(), out)
	return 0
}

// authPort is an AF_PACKET socket on one bridge port: it sees every
// frame that crosses the port, and a frame sent on it goes out of the port
// to the host behind it only.
type authPort struct {
	fd    int
	index int
}

func authHtons(v uint16) uint16 { return v<<8 | v>>8 }

// openAuthPort opens it in the link's namespace; it is closed when the
// test ends.
func openAuthPort(t *testing.T, link *Link, index int) *authPort {
	t.Helper()
	var fd int
	err := link.Do(func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(authHtons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: authHtons(unix.ETH_P_ALL), Ifindex: index})
	})
	if err != nil {
		t.Fatalf("packet socket on port %d: %v", index, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	tv := unix.NsecToTimeval((200 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	return &authPort{fd: fd, index: index}
}

// read returns the next frame, or nil after 200 ms without one.
func (p *authPort) read(t *testing.T) []byte {
	t.Helper()
	buf := make([]byte, 9000)
	n, _, err := unix.Recvfrom(p.fd, buf, 0)
	if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
		return nil
	}
	if err != nil {
		t.Fatalf("packet socket: %v", err)
	}
	return buf[:n]
}

// drain discards the frames queued so far.
func (p *authPort) drain() {
	buf := make([]byte, 9000)
	for {
		if _, _, err := unix.Recvfrom(p.fd, buf, unix.MSG_DONTWAIT); err != nil {
			return
		}
	}
}

// send transmits frame (Ethernet header included) out of the port.
func (p *authPort) send(t *testing.T, frame []byte) {
	t.Helper()
	if err := unix.Sendto(p.fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: p.index, Halen: 6}); err != nil {
		t.Fatalf("sending on the bridge port: %v", err)
	}
}

// Offsets in an Ethernet frame carrying OSPFv3 over IPv6.
const (
	authEthLen  = 14
	authIPv6Len = 40
	authOSPFAt  = authEthLen + authIPv6Len
)

// authOSPFOf returns the IPv6 payload of an Ethernet frame if it is OSPF
// (next header 89), and the IPv6 source.
func authOSPFOf(frame []byte) ([]byte, netip.Addr, bool) {
	if len(frame) < authOSPFAt+16 || binary.BigEndian.Uint16(frame[12:14]) != 0x86dd || frame[authEthLen+6] != 89 {
		return nil, netip.Addr{}, false
	}
	plen := int(binary.BigEndian.Uint16(frame[authEthLen+4:]))
	if len(frame) < authOSPFAt+plen {
		return nil, netip.Addr{}, false
	}
	src, _ := netip.AddrFromSlice(frame[authEthLen+8 : authEthLen+24])
	return frame[authOSPFAt : authOSPFAt+plen], src, true
}

// authTrailerOf returns the key ID and sequence number of an OSPFv3 packet's
// authentication trailer (RFC 7166 section 4.1: after the packet's Length
// and any LLS block; FRR and anycostd send no LLS).
func authTrailerOf(pkt []byte) (keyID uint16, seq uint64, ok bool) {
	if len(pkt) < 16 {
		return 0, 0, false
	}
	n := int(binary.BigEndian.Uint16(pkt[2:4]))
	tr := pkt[min(n, len(pkt)):]
	if len(tr) < 16 || binary.BigEndian.Uint16(tr[0:2]) != 1 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint16(tr[6:8]), binary.BigEndian.Uint64(tr[8:16]), true
}

// authRouterID is the OSPF header's router ID.
func authRouterID(pkt []byte) string {
	return netip.AddrFrom4([4]byte(pkt[4:8])).String()
}

// authCaptureHello waits for an authenticated Hello of the router
// (192.0.2.1) crossing the port and returns the whole frame.
func authCaptureHello(t *testing.T, p *authPort, timeout time.Duration) []byte {
	t.Helper()
	p.drain()
	for end := time.Now().Add(timeout); time.Now().Before(end); {
		frame := p.read(t)
		pkt, _, ok := authOSPFOf(frame)
		if !ok || pkt[1] != 1 || authRouterID(pkt) != "192.0.2.1" {
			continue
		}
		if _, _, ok := authTrailerOf(pkt); ok {
			return append([]byte(nil), frame...)
		}
	}
	t.Fatalf("no authenticated Hello of the router crossed the port in %v", timeout)
	return nil
}

// authHelloSeq is the sequence number of a captured frame's trailer.
func authHelloSeq(frame []byte) uint64 {
	pkt, _, _ := authOSPFOf(frame)
	_, seq, _ := authTrailerOf(pkt)
	return seq
}

// authKeyIDs counts, for d, the key IDs in the trailers of the OSPF packets
// crossing the port, from the router (192.0.2.1) and from the server.
func authKeyIDs(t *testing.T, p *authPort, d time.Duration) (fromRouter, fromServer map[uint16]int) {
	t.Helper()
	p.drain()
	fromRouter, fromServer = map[uint16]int{}, map[uint16]int{}
	for end := time.Now().Add(d); time.Now().Before(end); {
		pkt, _, ok := authOSPFOf(p.read(t))
		if !ok {
			continue
		}
		id, _, ok := authTrailerOf(pkt)
		if !ok {
			t.Errorf("an OSPF packet from %s without a trailer", authRouterID(pkt))
			continue
		}
		if authRouterID(pkt) == "192.0.2.1" {
			fromRouter[id]++
		} else {
			fromServer[id]++
		}
	}
	return fromRouter, fromServer
}
