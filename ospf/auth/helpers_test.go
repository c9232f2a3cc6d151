package auth

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/packet"
)

// goldenDir holds the annotated vectors written by testdata/auth/vectors.py.
const goldenDir = "../../testdata/auth"

// vector is one annotated .hex file: the bytes and its "# name: value" headers.
type vector struct {
	name string
	data []byte
	hdr  map[string]string
}

func (v vector) src(t testing.TB) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(v.hdr["src"])
	if err != nil {
		t.Fatalf("%s: src: %v", v.name, err)
	}
	return a
}

// key builds the key the vector was signed with.
func (v vector) key(t testing.TB) Key {
	t.Helper()
	alg, err := ParseAlgorithm(v.hdr["algorithm"])
	if err != nil {
		t.Fatalf("%s: %v", v.name, err)
	}
	d, err := ParseDialect(v.hdr["dialect"])
	if err != nil {
		t.Fatalf("%s: %v", v.name, err)
	}
	id, err := strconv.ParseUint(v.hdr["key-id"], 10, 16)
	if err != nil {
		t.Fatalf("%s: key-id: %v", v.name, err)
	}
	return Key{ID: uint16(id), Algorithm: alg, Dialect: d, Secret: []byte(v.hdr["key"])}
}

func (v vector) seq(t testing.TB) uint64 {
	t.Helper()
	s, err := strconv.ParseUint(strings.TrimPrefix(v.hdr["seq"], "0x"), 16, 64)
	if err != nil {
		t.Fatalf("%s: seq: %v", v.name, err)
	}
	return s
}

// parseVector reads the annotated hex format: "# name: value" header lines,
// hex bytes with "#" comments.
func parseVector(name string, text string) (vector, error) {
	v := vector{name: name, hdr: make(map[string]string)}
	var hx strings.Builder
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if c, ok := strings.CutPrefix(line, "#"); ok {
			if k, val, ok := strings.Cut(strings.TrimSpace(c), ": "); ok && !strings.Contains(k, " ") {
				v.hdr[k] = val
			}
			continue
		}
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		hx.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(hx.String())
	if err != nil {
		return vector{}, err
	}
	v.data = b
	return v, nil
}

var (
	vectorsOnce sync.Once
	vectorsAll  []vector
	vectorsErr  error
)

// loadVectors returns every .hex vector of testdata/auth, sorted by name.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	vectorsOnce.Do(func() {
		names, err := filepath.Glob(filepath.Join(goldenDir, "*.hex"))
		if err != nil {
			vectorsErr = err
			return
		}
		slices.Sort(names)
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				vectorsErr = err
				return
			}
			v, err := parseVector(filepath.Base(n), string(b))
			if err != nil {
				vectorsErr = errors.Join(errors.New(n), err)
				return
			}
			vectorsAll = append(vectorsAll, v)
		}
	})
	if vectorsErr != nil {
		t.Fatal(vectorsErr)
	}
	if len(vectorsAll) < 10 {
		t.Fatalf("only %d vectors in %s", len(vectorsAll), goldenDir)
	}
	return vectorsAll
}

// vectorNamed returns one vector.
func vectorNamed(t testing.TB, name string) vector {
	t.Helper()
	for _, v := range loadVectors(t) {
		if v.name == name {
			return v
		}
	}
	t.Fatalf("no vector %s", name)
	return vector{}
}

// mustKeychain builds a keychain or fails the test.
func mustKeychain(t testing.TB, keys ...Key) *Keychain {
	t.Helper()
	kc, err := NewKeychain(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// helloPacket is an unsigned Hello of a priority-0 host (no AT bit, a
// non-zero checksum that Append must clear).
func helloPacket(t testing.TB, routerID uint32, neighbors ...uint32) []byte {
	t.Helper()
	h := &packet.Hello{
		Header:        packet.Header{RouterID: routerID, Checksum: 0xbeef},
		InterfaceID:   2,
		Options:       0x13,
		HelloInterval: 10,
		DeadInterval:  40,
		Neighbors:     neighbors,
	}
	b, err := packet.MarshalPacket(h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pipe is an in-memory ospf.Transport end: what one end writes the other
// reads, with the writer's source address.
type pipe struct {
	src    netip.Addr
	in     chan ospf.Datagram
	peer   *pipe
	closed chan struct{}
	once   sync.Once
	// wire records every datagram written, as it went out.
	mu   sync.Mutex
	wire []ospf.Datagram
}

func newPipes(a, b netip.Addr) (*pipe, *pipe) {
	pa := &pipe{src: a, in: make(chan ospf.Datagram, 64), closed: make(chan struct{})}
	pb := &pipe{src: b, in: make(chan ospf.Datagram, 64), closed: make(chan struct{})}
	pa.peer, pb.peer = pb, pa
	return pa, pb
}

func (p *pipe) ReadDatagram() (ospf.Datagram, error) {
	select {
	case d := <-p.in:
		return d, nil
	case <-p.closed:
		return ospf.Datagram{}, errors.New("pipe closed")
	}
}

func (p *pipe) WriteDatagram(dst netip.Addr, data []byte) error {
	d := ospf.Datagram{Src: p.src, Dst: dst, HopLimit: 1, Data: slices.Clone(data)}
	p.mu.Lock()
	p.wire = append(p.wire, d)
	p.mu.Unlock()
	p.peer.inject(d)
	return nil
}

// inject delivers d to this end's reader as if it came from the wire.
func (p *pipe) inject(d ospf.Datagram) {
	d.Data = slices.Clone(d.Data)
	p.in <- d
}

func (p *pipe) sent() []ospf.Datagram {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.wire)
}

func (p *pipe) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

// fakeClock is a settable clock for Transport.now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// readTimeout reads one datagram from tr or fails after a second.
func readTimeout(t testing.TB, tr ospf.Transport) (ospf.Datagram, bool) {
	t.Helper()
	type res struct {
		d   ospf.Datagram
		err error
	}
	ch := make(chan res, 1)
	go func() {
		d, err := tr.ReadDatagram()
		ch <- res{d, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return ospf.Datagram{}, false
		}
		return r.d, true
	case <-time.After(time.Second):
		return ospf.Datagram{}, false
	}
}
