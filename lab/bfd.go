package lab

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anycostd/anycostd/bfd"
)

// needsBFDD matches an FRR config that needs bfdd: a `bfd` node (static
// peers, profiles) or BFD for OSPFv3 neighbors.
var needsBFDD = regexp.MustCompile(`(?m)^bfd\s*$|^\s*ipv6 ospf6 bfd\b`)

// FRRBFDPeer is one session of `show bfd peers json` (FRR 8.4 bfdd:
// bfdd_vty.c); intervals in milliseconds.
type FRRBFDPeer struct {
	Peer             string `json:"peer"`
	Interface        string `json:"interface"`
	ID               uint32 `json:"id"`
	RemoteID         uint32 `json:"remote-id"`
	Status           string `json:"status"` // up, down, init, shutdown
	Diagnostic       string `json:"diagnostic"`
	RemoteDiagnostic string `json:"remote-diagnostic"`
	ReceiveInterval  int    `json:"receive-interval"`
	TransmitInterval int    `json:"transmit-interval"`
	DetectMultiplier int    `json:"detect-multiplier"`
	RemoteReceive    int    `json:"remote-receive-interval"`
	RemoteTransmit   int    `json:"remote-transmit-interval"`
	RemoteMultiplier int    `json:"remote-detect-multiplier"`
}

// BFDPeers returns bfdd's sessions.
func (f *FRR) BFDPeers() ([]FRRBFDPeer, error) {
	out, err := f.Vtysh("show bfd peers json")
	if err != nil {
		return nil, err
	}
	var ps []FRRBFDPeer
	if err := json.Unmarshal([]byte(out), &ps); err != nil {
		return nil, fmt.Errorf("parsing show bfd peers json: %w (output %q)", err, out)
	}
	return ps, nil
}

// BFDPeer returns bfdd's session with peer (ok false: none).
func (f *FRR) BFDPeer(peer netip.Addr) (FRRBFDPeer, bool, error) {
	ps, err := f.BFDPeers()
	if err != nil {
		return FRRBFDPeer{}, false, err
	}
	for _, p := range ps {
		if a, err := netip.ParseAddr(p.Peer); err == nil && a == peer.WithZone("") {
			return p, true, nil
		}
	}
	return FRRBFDPeer{}, false, nil
}

// FRRBFDCounters is one session of `show bfd peers counters json`.
type FRRBFDCounters struct {
	Peer        string `json:"peer"`
	In          uint64 `json:"control-packet-input"`
	Out         uint64 `json:"control-packet-output"`
	SessionUp   uint64 `json:"session-up"`
	SessionDown uint64 `json:"session-down"`
	Zebra       uint64 `json:"zebra-notifications"`
}

// BFDCounters returns bfdd's counters of the session with peer.
func (f *FRR) BFDCounters(peer netip.Addr) (FRRBFDCounters, error) {
	out, err := f.Vtysh("show bfd peers counters json")
	if err != nil {
		return FRRBFDCounters{}, err
	}
	var cs []FRRBFDCounters
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		return FRRBFDCounters{}, fmt.Errorf("parsing show bfd peers counters json: %w (output %q)", err, out)
	}
	for _, c := range cs {
		if a, err := netip.ParseAddr(c.Peer); err == nil && a == peer.WithZone("") {
			return c, nil
		}
	}
	return FRRBFDCounters{}, fmt.Errorf("no BFD counters for %v in %q", peer, out)
}

// BFDPacket is one BFD Control packet that tshark saw on a link.
type BFDPacket struct {
	At       time.Time
	Src, Dst netip.Addr
	HopLimit int
	SrcPort  int
	Packet   bfd.ControlPacket
}

// BFDCapture is a tshark capture of the BFD Control packets on a link's
// bridge.
type BFDCapture struct {
	fieldCapture
}

// CaptureBFD starts tshark on the link's bridge for UDP to port 3784 and
// waits until it captures. The payload is decoded with package bfd.
func (k *Link) CaptureBFD(t testing.TB) *BFDCapture {
	t.Helper()
	c, err := k.TryCaptureBFD()
	require(t, err)
	return c
}

// TryCaptureBFD is CaptureBFD, returning its error (a MissingError
// without tshark).
func (k *Link) TryCaptureBFD() (*BFDCapture, error) {
	c, err := k.tryCaptureFields("bfd", fmt.Sprintf("ip6 and udp dst port %d", bfd.Port),
		"frame.time_epoch", "ipv6.src", "ipv6.dst", "ipv6.hlim", "udp.srcport", "udp.payload")
	if err != nil {
		return nil, err
	}
	return &BFDCapture{c}, nil
}

// Packets returns what was captured so far; undecodable payloads fail.
func (c *BFDCapture) Packets() ([]BFDPacket, error) {
	lines, err := c.lines()
	if err != nil {
		return nil, err
	}
	var out []BFDPacket
	for _, line := range lines {
		fs := strings.Split(line, ",")
		if len(fs) != 6 || fs[5] == "" {
			continue // a partial last line
		}
		sec, err1 := strconv.ParseFloat(fs[0], 64)
		hl, err2 := strconv.Atoi(fs[3])
		port, err3 := strconv.Atoi(fs[4])
		raw, err4 := hex.DecodeString(strings.ReplaceAll(fs[5], ":", ""))
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, fmt.Errorf("capture line %q: %w", line, err)
		}
		p := BFDPacket{At: time.Unix(0, int64(sec*1e9)), HopLimit: hl, SrcPort: port}
		p.Src, _ = netip.ParseAddr(fs[1])
		p.Dst, _ = netip.ParseAddr(fs[2])
		if p.Packet, err = bfd.Parse(raw); err != nil {
			return nil, fmt.Errorf("captured packet from %v: %w", p.Src, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// BFDSpeaker is a bfd.Speaker run by the test process for a host: its
// sockets live in the host's namespace, its goroutines in the test.
type BFDSpeaker struct {
	*bfd.Speaker
	Transport *bfd.UDPTransport
	cancel    context.CancelFunc
	runErr    chan error

	mu     sync.Mutex
	events []bfd.Event
}

// StartBFD opens a bfd.UDPTransport on the host's interface ifname (its
// first link-local address) and runs a speaker with cfg on it; the
// interface name is filled in. Events are collected (Events). The lab's
// cleanup stops it.
func (h *Host) StartBFD(ifname string, cfg bfd.Config, log *slog.Logger) *BFDSpeaker {
	s, err := h.TryStartBFD(ifname, cfg, log)
	h.lab.must(err)
	return s
}

// TryStartBFD is StartBFD, returning its error.
func (h *Host) TryStartBFD(ifname string, cfg bfd.Config, log *slog.Logger) (*BFDSpeaker, error) {
	var tr *bfd.UDPTransport
	if err := h.Do(func() (err error) {
		tr, err = bfd.ListenUDP(ifname, netip.Addr{})
		return err
	}); err != nil {
		return nil, fmt.Errorf("lab: StartBFD on %s of %s: %w", ifname, h.hostName, err)
	}
	cfg.Interface = ifname
	sp, err := bfd.New(cfg, tr, nil, log)
	if err != nil {
		tr.Close()
		return nil, fmt.Errorf("lab: StartBFD: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &BFDSpeaker{Speaker: sp, Transport: tr, cancel: cancel, runErr: make(chan error, 1)}
	go func() { s.runErr <- sp.Run(ctx) }()
	go func() {
		for ev := range sp.Events() {
			s.mu.Lock()
			s.events = append(s.events, ev)
			s.mu.Unlock()
		}
	}()
	h.lab.addCleanup(func() {
		cancel()
		<-sp.Done()
	})
	return s, nil
}

// Events returns the state changes so far.
func (s *BFDSpeaker) Events() []bfd.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bfd.Event(nil), s.events...)
}

// Session returns the status of the session with peer (ok false: none).
func (s *BFDSpeaker) Session(peer netip.Addr) (bfd.SessionStatus, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.Status(ctx)
	if err != nil {
		return bfd.SessionStatus{}, false, err
	}
	for _, ss := range st.Sessions {
		if ss.Peer == peer.WithZone("").String() {
			return ss, true, nil
		}
	}
	return bfd.SessionStatus{}, false, nil
}

// Wait waits (at most timeout) for Run to return after Shutdown, and
// returns its error.
func (s *BFDSpeaker) Wait(timeout time.Duration) error {
	select {
	case err := <-s.runErr:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("bfd speaker still running after %v", timeout)
	}
}

// FRRBFDConfig is a bfdd config: profile name with the given interval
// both ways and multiplier, and one static peer per address on ifname
// using it.
func FRRBFDConfig(profile string, interval time.Duration, mult int, ifname string, peers ...netip.Addr) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bfd\n profile %s\n  transmit-interval %d\n  receive-interval %d\n  detect-multiplier %d\n !\n",
		profile, interval.Milliseconds(), interval.Milliseconds(), mult)
	for _, p := range peers {
		fmt.Fprintf(&b, " peer %s interface %s\n  profile %s\n !\n", p.WithZone(""), ifname, profile)
	}
	b.WriteString("!\n")
	return b.String()
}

// FRRBFDOSPFCommands are the vtysh commands that turn BFD on for the OSPF
// neighbors on ifname, with a profile of interval both ways and mult, as
// docs/bfd.md tells operators to configure it.
func FRRBFDOSPFCommands(profile string, interval time.Duration, mult int, ifname string) []string {
	ms := strconv.FormatInt(interval.Milliseconds(), 10)
	return []string{
		"configure terminal",
		"bfd", "profile " + profile, "transmit-interval " + ms, "receive-interval " + ms,
		"detect-multiplier " + strconv.Itoa(mult), "exit", "exit",
		"interface " + ifname, "ipv6 ospf6 bfd", "ipv6 ospf6 bfd profile " + profile,
	}
}

// AddBFDD starts bfdd beside the running daemons of an FRR started
// without BFD in its config (NewFarm's router), so that `bfd` and `ipv6
// ospf6 bfd` can be configured with Vtysh. Restart starts it again.
func (f *FRR) AddBFDD() { f.host.lab.must(f.TryAddBFDD()) }

// TryAddBFDD is AddBFDD, returning its error.
func (f *FRR) TryAddBFDD() error {
	if slices.Contains(f.daemons, "bfdd") {
		return nil
	}
	f.daemons = append(f.daemons, "bfdd")
	p, err := f.startDaemon("bfdd")
	if err != nil {
		return err
	}
	f.procs = append(f.procs, p)
	return f.waitDaemon("bfdd", frrStartTimeout)
}
