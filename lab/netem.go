package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Impairment is what a lossy wire does to every frame, in each direction,
// with the meaning of tc netem's options of the same names. The kernels
// the lab runs on may lack sch_netem (CONFIG_NET_SCH_NETEM), so Impair
// does it in user space instead.
type Impairment struct {
	// Loss is the probability that a frame is dropped.
	Loss float64
	// Duplicate is the probability that a frame is delivered twice.
	Duplicate float64
	// Reorder is the probability that a frame skips Delay and so
	// overtakes the frames still delayed (netem's reorder).
	Reorder float64
	// Delay is added to every frame that does not skip it.
	Delay time.Duration
}

// String renders the impairment as tc netem options.
func (im Impairment) String() string {
	return fmt.Sprintf("loss %g%% reorder %g%% duplicate %g%% delay %v",
		100*im.Loss, 100*im.Reorder, 100*im.Duplicate, im.Delay)
}

// WireStats counts the frames of one direction of a Wire.
type WireStats struct {
	In         uint64 // frames that entered the wire
	Dropped    uint64 // lost
	Duplicated uint64 // delivered a second time
	Reordered  uint64 // sent at once, overtaking delayed ones
	Out        uint64 // frames delivered, duplicates included
}

// Wire is a lossy piece of wire between a host's interface and its
// link's bridge: a relay in the link's namespace that copies every frame
// with an AF_PACKET socket, impairing it on the way. Create it with
// Impair; the lab's cleanup closes it.
type Wire struct {
	lab        *Lab
	link       *Link
	port, relB string // the host's veth end in the link and the relay's own veth
	fds        [2]int // AF_PACKET sockets on port and relB

	mu     sync.Mutex
	im     Impairment
	rng    *rand.Rand
	stats  [2]WireStats // 0: from the host, 1: to the host
	closed bool

	stop    chan struct{}
	readers sync.WaitGroup
	timers  sync.WaitGroup // delayed frames not yet sent
}

// Directions of a Wire, as indexes of its stats.
const (
	wireFromHost = 0
	wireToHost   = 1
)

// wireRecvTimeout bounds each read, so the relay notices Close.
const wireRecvTimeout = 100 * time.Millisecond

// Impair puts a Wire with impairment im between the host's interface
// ifname and link (which ifname must be attached to): the host's veth end
// leaves the bridge and a relay copies frames between it and a new veth
// pair on the bridge. The random choices come from seed, for runs that
// can be repeated. The wire applies im both ways (tc netem on the host's
// interface would impair only what the host sends).
func (h *Host) Impair(link *Link, ifname string, im Impairment, seed uint64) *Wire {
	w, err := h.TryImpair(link, ifname, im, seed)
	h.lab.must(err)
	return w
}

// TryImpair is Impair, returning its error.
func (h *Host) TryImpair(link *Link, ifname string, im Impairment, seed uint64) (*Wire, error) {
	l := h.lab
	port, err := h.peerIn(link, ifname)
	if err != nil {
		return nil, fmt.Errorf("lab: Impair: %w", err)
	}
	w := &Wire{lab: l, link: link, port: port, relB: "w" + port, im: im,
		rng:  rand.New(rand.NewPCG(seed, seed^0x6e6574656d)),
		stop: make(chan struct{}), fds: [2]int{-1, -1}}
	// The relay's veth pair: relB for the relay, its peer on the bridge.
	onBridge := "x" + port
	if err := runAll(
		[]string{"ip", "-n", link.name, "link", "add", w.relB, "type", "veth", "peer", "name", onBridge},
		[]string{"ip", "-n", link.name, "link", "set", onBridge, "master", "br0", "up"},
		[]string{"ip", "-n", link.name, "link", "set", port, "nomaster"},
		[]string{"ip", "-n", link.name, "link", "set", port, "promisc", "on", "up"},
		[]string{"ip", "-n", link.name, "link", "set", w.relB, "promisc", "on", "up"},
	); err != nil {
		return nil, err
	}
	err = link.Do(func() error {
		for i, dev := range []string{port, w.relB} {
			fd, err := wireSocket(dev)
			if err != nil {
				return err
			}
			w.fds[i] = fd
		}
		return nil
	})
	if err != nil {
		w.closeFDs()
		return nil, fmt.Errorf("lab: Impair %s of %s: %w", ifname, h.hostName, err)
	}
	l.addCleanup(w.Close)
	w.readers.Add(2)
	go w.relay(wireFromHost, w.fds[0], w.fds[1])
	go w.relay(wireToHost, w.fds[1], w.fds[0])
	return w, nil
}

// peerIn returns the name, in link's namespace, of the other end of the
// host's veth ifname.
func (h *Host) peerIn(link *Link, ifname string) (string, error) {
	out, err := runCmd("ip", "-n", h.name, "-j", "link", "show", "dev", ifname)
	if err != nil {
		return "", err
	}
	var mine []struct {
		LinkIndex int `json:"link_index"`
	}
	if err := json.Unmarshal(out, &mine); err != nil || len(mine) != 1 || mine[0].LinkIndex == 0 {
		return "", fmt.Errorf("%s of %s: no veth peer index in %q (%v)", ifname, h.hostName, out, err)
	}
	out, err = runCmd("ip", "-n", link.name, "-j", "link", "show")
	if err != nil {
		return "", err
	}
	var theirs []struct {
		Index int    `json:"ifindex"`
		Name  string `json:"ifname"`
	}
	if err := json.Unmarshal(out, &theirs); err != nil {
		return "", fmt.Errorf("parsing ip -j link output of %s: %w", link.name, err)
	}
	for _, d := range theirs {
		if d.Index == mine[0].LinkIndex {
			return d.Name, nil
		}
	}
	return "", fmt.Errorf("%s of %s is not attached to link %s", ifname, h.hostName, link.linkName)
}

// wireSocket opens an AF_PACKET socket for every protocol on dev of
// the calling thread's namespace, which skips the frames it sends itself
// and reads and writes each frame behind a virtio_net_hdr.
func wireSocket(dev string) (int, error) {
	ifi, err := wireIfindex(dev)
	if err != nil {
		return -1, err
	}
	proto := netemHtons(unix.ETH_P_ALL)
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(proto))
	if err != nil {
		return -1, fmt.Errorf("AF_PACKET socket: %w", err)
	}
	fail := func(what string, err error) (int, error) {
		unix.Close(fd)
		return -1, fmt.Errorf("AF_PACKET socket on %s: %s: %w", dev, what, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi}); err != nil {
		return fail("bind", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
		return fail("PACKET_IGNORE_OUTGOING", err)
	}
	// Frames come with a virtio_net_hdr in front, which carries the
	// checksum offload state (a UDP datagram sent on a veth has no
	// checksum yet); writing it back with the frame keeps that state.
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VNET_HDR, 1); err != nil {
		return fail("PACKET_VNET_HDR", err)
	}
	tv := unix.NsecToTimeval(wireRecvTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fail("SO_RCVTIMEO", err)
	}
	return fd, nil
}

// wireIfindex is the index of dev in the calling thread's namespace.
func wireIfindex(dev string) (int, error) {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	}
	if err != nil {
		return 0, fmt.Errorf("socket for SIOCGIFINDEX: %w", err)
	}
	defer unix.Close(fd)
	req, err := unix.NewIfreq(dev)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, req); err != nil {
		return 0, fmt.Errorf("interface %s: %w", dev, err)
	}
	return int(req.Uint32()), nil
}

func netemHtons(v uint16) uint16 { return v<<8 | v>>8 }

// relay copies frames read from in to out, impaired, until Close.
func (w *Wire) relay(dir, in, out int) {
	defer w.readers.Done()
	buf := make([]byte, 1<<16)
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		n, _, err := unix.Recvfrom(in, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			select {
			case <-w.stop:
			default:
				w.lab.logf("lab: wire %s: read: %v", w.port, err)
			}
			return
		}
		w.pass(dir, out, append([]byte(nil), buf[:n]...))
	}
}

// pass decides the fate of one frame as netem does: loss first, then
// duplication; each copy is delayed unless it is picked for reordering.
func (w *Wire) pass(dir, out int, frame []byte) {
	w.mu.Lock()
	im := w.im
	st := &w.stats[dir]
	st.In++
	if w.rng.Float64() < im.Loss {
		st.Dropped++
		w.mu.Unlock()
		return
	}
	copies := 1
	if w.rng.Float64() < im.Duplicate {
		copies = 2
		st.Duplicated++
	}
	var delays [2]time.Duration
	for i := range copies {
		if im.Delay > 0 && w.rng.Float64() < im.Reorder {
			st.Reordered++
		} else {
			delays[i] = im.Delay
		}
	}
	w.mu.Unlock()
	for i := range copies {
		if delays[i] == 0 {
			w.send(dir, out, frame)
			continue
		}
		w.timers.Add(1)
		time.AfterFunc(delays[i], func() {
			defer w.timers.Done()
			w.send(dir, out, frame)
		})
	}
}

func (w *Wire) send(dir, out int, frame []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if _, err := unix.Write(out, frame); err == nil {
		w.stats[dir].Out++
	}
}

// Set changes the impairment from now on (a zero Impairment makes the
// wire clean).
func (w *Wire) Set(im Impairment) {
	w.mu.Lock()
	w.im = im
	w.mu.Unlock()
}

// Stats returns the frame counts so far: what the host sent and what was
// sent to it.
func (w *Wire) Stats() (sent, received WireStats) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats[wireFromHost], w.stats[wireToHost]
}

// Close stops the relay and puts the host's veth end back on the bridge.
// It is idempotent; the lab's cleanup calls it.
func (w *Wire) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	w.readers.Wait()
	w.timers.Wait()
	w.closeFDs()
	w.lab.mu.Lock()
	labClosed := w.lab.closed
	w.lab.mu.Unlock()
	if labClosed {
		return
	}
	// Best effort: the namespace may be on its way out.
	_, _ = runCmd("ip", "-n", w.link.name, "link", "del", w.relB)
	_, _ = runCmd("ip", "-n", w.link.name, "link", "set", w.port, "promisc", "off", "master", "br0")
}

func (w *Wire) closeFDs() {
	for i, fd := range w.fds {
		if fd >= 0 {
			unix.Close(fd)
			w.fds[i] = -1
		}
	}
}
