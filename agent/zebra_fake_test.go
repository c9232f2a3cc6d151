package agent

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/internal/testlog"
	"github.com/osrg/gobgp/v4/pkg/zebra"
)

// ZAPI 6 as FRR 8.4.4 numbers its commands (lib/zclient.h,
// zebra_message_types_t).
const (
	zapiInterfaceAdd  = 0
	zapiInterfaceUp   = 4
	zapiRouteAdd      = 8
	zapiRouteDelete   = 9
	zapiRouterIDUpd   = 17
	zapiCapabilities  = 19
	zapiVRFAdd        = 33
	zapiHeaderLen     = 10
	zapiHeaderMarker  = 0xfe
	zapiVersion6      = 6
	frr84IfNameSize   = 16 // INTERFACE_NAMSIZ = IFNAMSIZ since FRR 8.3
	frr84VRFNameSize  = 36 // VRF_NAMSIZ
	frr84VRFDataBytes = 40 // struct vrf_data: table ID (4) and netns name (NS_NAMSIZ 36)
)

// zapiMessage frames body as a ZAPI 6 message: length, marker 0xfe,
// version 6, VRF ID 0, command.
func zapiMessage(cmd uint16, body []byte) []byte {
	b := make([]byte, zapiHeaderLen, zapiHeaderLen+len(body))
	binary.BigEndian.PutUint16(b[0:], uint16(zapiHeaderLen+len(body)))
	b[2] = zapiHeaderMarker
	b[3] = zapiVersion6
	binary.BigEndian.PutUint16(b[8:], cmd)
	return append(b, body...)
}

// frr84Interface is the body of ZEBRA_INTERFACE_ADD/UP as FRR 8.4.4's
// zebra writes it (zebra/zapi_msg.c zserv_encode_interface).
func frr84Interface(name string, ifindex uint32, mac net.HardwareAddr) []byte {
	var b bytes.Buffer
	n := make([]byte, frr84IfNameSize) // name, NUL padded
	copy(n, name)
	b.Write(n)
	put := func(v any) { binary.Write(&b, binary.BigEndian, v) }
	put(ifindex)          // ifindex
	put(uint8(1))         // status: ZEBRA_INTERFACE_ACTIVE
	put(uint64(0x11043))  // flags: UP BROADCAST RUNNING MULTICAST LOWER_UP
	put(uint8(2))         // ptm_enable: unspecified
	put(uint8(2))         // ptm_status: unknown
	put(uint32(0))        // metric
	put(uint32(10000))    // speed
	put(uint32(1500))     // mtu
	put(uint32(1500))     // mtu6
	put(uint32(0))        // bandwidth
	put(uint32(0))        // link_ifindex
	put(uint32(1))        // ll_type: ZEBRA_LLT_ETHER
	put(uint32(len(mac))) // hw_addr_len
	b.Write(mac)          // hw_addr
	put(uint8(0))         // no link parameters
	return b.Bytes()
}

// frr84RouterID is ZEBRA_ROUTER_ID_UPDATE's body (zsend_router_id_update:
// family, address, prefix length).
func frr84RouterID() []byte {
	return append([]byte{syscall.AF_INET, 192, 0, 2, 1}, 32)
}

// frr84Capabilities is ZEBRA_CAPABILITIES' body (zsend_capabilities: VRF
// backend, MPLS enabled, multipath number, MLAG role).
func frr84Capabilities() []byte {
	return []byte{0, 0, 0, 0, 0, 0, 0, 0, 64, 0}
}

// frr84VRFAdd is ZEBRA_VRF_ADD's body for the default VRF
// (zserv_encode_vrf: struct vrf_data, then the VRF's name).
func frr84VRFAdd() []byte {
	b := make([]byte, frr84VRFDataBytes+frr84VRFNameSize)
	copy(b[frr84VRFDataBytes:], "default")
	return b
}

// fakeZebra is zebra's ZAPI socket as far as the agent's backend uses
// it: it answers the client's hello as FRR 8.4.4 does (capabilities, the
// default VRF, the router ID, then an interface coming up) and records
// every message the client sends.
type fakeZebra struct {
	t    *testing.T
	path string
	ln   net.Listener
	msgs chan *zebra.Message

	mu   sync.Mutex
	conn net.Conn
}

func newFakeZebra(t *testing.T) *fakeZebra {
	t.Helper()
	z := &fakeZebra{t: t, path: filepath.Join(t.TempDir(), "zserv.api"), msgs: make(chan *zebra.Message, 64)}
	var err error
	if z.ln, err = net.Listen("unix", z.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { z.ln.Close(); z.hangUp() })
	go z.serve()
	return z
}

func (z *fakeZebra) serve() {
	c, err := z.ln.Accept()
	if err != nil {
		return
	}
	z.mu.Lock()
	z.conn = c
	z.mu.Unlock()
	sw := zebra.NewSoftware(6, zapiSoftware)
	quietLog := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, m := range [][]byte{
		zapiMessage(zapiCapabilities, frr84Capabilities()),
		zapiMessage(zapiVRFAdd, frr84VRFAdd()),
		zapiMessage(zapiRouterIDUpd, frr84RouterID()),
		zapiMessage(zapiInterfaceAdd, frr84Interface("anycost0", 5, net.HardwareAddr{0x02, 0x42, 0xac, 0x11, 0, 2})),
		zapiMessage(zapiInterfaceUp, frr84Interface("anycost0", 5, net.HardwareAddr{0x02, 0x42, 0xac, 0x11, 0, 2})),
	} {
		if _, err := c.Write(m); err != nil {
			return
		}
	}
	defer close(z.msgs)
	for {
		m, err := zebra.ReceiveSingleMsg(quietLog, c, 6, sw, "fake zebra")
		if err != nil {
			return
		}
		if m != nil {
			z.msgs <- m
		}
	}
}

// hangUp is zebra exiting: the connection closes.
func (z *fakeZebra) hangUp() {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.conn != nil {
		z.conn.Close()
	}
}

// next returns the next route message, skipping the hello and the
// router ID registration.
func (z *fakeZebra) next() (*zebra.Message, *zebra.IPRouteBody) {
	z.t.Helper()
	for {
		select {
		case m, ok := <-z.msgs:
			if !ok {
				return nil, nil
			}
			if b, ok := m.Body.(*zebra.IPRouteBody); ok {
				return m, b
			}
		case <-time.After(5 * time.Second):
			z.t.Fatal("no message from the client within 5 s")
		}
	}
}

// routeString describes a route message as zebra read it.
func routeString(m *zebra.Message, b *zebra.IPRouteBody) string {
	op := "add"
	if m.Header.Command == zapiRouteDelete {
		op = "delete"
	}
	var hs []string
	for _, h := range b.Nexthops {
		hs = append(hs, fmt.Sprintf("%s%%%d w%d", h.Gate, h.Ifindex, h.Weight))
	}
	return fmt.Sprintf("%s %s/%d distance %d [%s]", op, b.Prefix.Prefix, b.Prefix.PrefixLen, b.Distance, strings.Join(hs, " "))
}

var testRoute = Route{Prefix: dnsPrefix, Nexthops: []Nexthop{{Addr: ll(11), Ifindex: 7, Weight: 128}, {Addr: ll(12), Ifindex: 7, Weight: 255}}}

// The zebra backend against a zebra that speaks as FRR 8.4.4: routes go
// out with the distance and the weights; a new distance sends each route
// once more (zebra replaces a client's route of the same type and
// instance, see SetPreference), with no withdrawal in between; Close
// closes the connection (see zebraBackend.Close on its withdrawals). What
// zebra sends unprompted decodes, and the agent's log at Info has no
// ERROR or WARN line from any of it, the close included.
func TestZebraBackendFakeZebra(t *testing.T) {
	z := newFakeZebra(t)
	var logs testlog.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	be, err := NewZebra(ZebraConfig{Socket: z.path, Distance: 100, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	zb := be.(*zebraBackend)
	rt := Route{Prefix: testRoute.Prefix, Nexthops: slices.Clone(testRoute.Nexthops)}
	if err := be.Set(rt); err != nil {
		t.Fatal(err)
	}
	want := "add 2001:db8:53::53/128 distance 100 [fe80::b%7 w128 fe80::c%7 w255]"
	if got := routeString(z.next()); got != want {
		t.Errorf("route: %s, want %s", got, want)
	}
	// The caller may reuse its route's next hops (the lab test did): the
	// backend keeps its own copy of what it sent.
	rt.Nexthops[1].Weight = 256
	if err := zb.SetPreference(50); err != nil {
		t.Fatal(err)
	}
	want = "add 2001:db8:53::53/128 distance 50 [fe80::b%7 w128 fe80::c%7 w255]"
	if got := routeString(z.next()); got != want {
		t.Errorf("after SetPreference(50): %s, want %s", got, want)
	}
	if zb.Preference() != 50 {
		t.Errorf("preference %d, want 50", zb.Preference())
	}
	if err := be.Close(); err != nil {
		t.Fatal(err)
	}
	// The withdrawal may or may not cross the relay before it closes
	// (zebra drops the routes on the close anyway): if anything comes,
	// it is the withdrawal.
	want = "delete 2001:db8:53::53/128 distance 50 []"
	if m, b := z.next(); m != nil {
		if got := routeString(m, b); got != want {
			t.Errorf("Close: %s, want %s", got, want)
		}
	}
	select {
	case <-zb.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("Lost not closed after Close")
	}
	// gobgp's receive loop logs its read error before Receive closes;
	// its writer may log a write error a little later.
	time.Sleep(50 * time.Millisecond)
	if s := logs.String(); strings.Contains(s, "level=ERROR") || strings.Contains(s, "level=WARN") {
		t.Errorf("the agent's log has errors or warnings:\n%s", s)
	}
}

// Zebra exits: the backend reports the loss (Lost, ErrZebraClosed) and
// the log says so once, at WARN, with no ERROR from gobgp's client.
func TestZebraBackendZebraExits(t *testing.T) {
	z := newFakeZebra(t)
	var logs testlog.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	be, err := NewZebra(ZebraConfig{Socket: z.path, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if err := be.Set(testRoute); err != nil {
		t.Fatal(err)
	}
	z.next()
	z.hangUp()
	select {
	case <-be.(LossNotifier).Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("Lost not closed after zebra hung up")
	}
	if err := be.Set(testRoute); err != ErrZebraClosed {
		t.Errorf("Set after zebra exited: %v, want ErrZebraClosed", err)
	}
	logs.Wait(t, "zebra connection lost")
	time.Sleep(50 * time.Millisecond) // a late line of gobgp's writer
	s := logs.String()
	if strings.Count(s, "level=WARN") != 1 || !strings.Contains(s, "zebra connection lost") || strings.Contains(s, "level=ERROR") {
		t.Errorf("log after zebra exited, want one WARN (connection lost) and no ERROR:\n%s", s)
	}
}

// An agent on a backend that loses zebra returns from Run with
// ErrZebraClosed even with no route to send (the caller starts again; the
// routes went with zebra).
func TestAgentRunNoticesLostZebra(t *testing.T) {
	z := newFakeZebra(t)
	be, err := NewZebra(ZebraConfig{Socket: z.path, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{changed: make(chan struct{})}
	a, err := New(testConfig(), src, be)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- a.Run(t.Context()) }()
	z.hangUp()
	select {
	case err := <-errc:
		if !errorsIsZebraClosed(err) {
			t.Errorf("Run: %v, want ErrZebraClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running 5 s after zebra hung up")
	}
}

func errorsIsZebraClosed(err error) bool {
	return err != nil && strings.Contains(err.Error(), ErrZebraClosed.Error())
}

// gobgp v4.8.0 encodes every route message the agent sends the same for
// FRR 8.2 and FRR 8.4 (so zapiSoftware "frr8.4" changes only what the
// client decodes).
func TestZAPISoftwareEncodesAlike(t *testing.T) {
	enc := func(name string, withdraw bool) []byte {
		b := (&zebraBackend{typ: mustRouteType(t), distance: 100}).body(dnsPrefix)
		if !withdraw {
			for _, h := range testRoute.Nexthops {
				b.Nexthops = append(b.Nexthops, zebra.Nexthop{Gate: h.Addr, Ifindex: uint32(h.Ifindex), Weight: uint32(h.Weight)})
			}
		}
		cmd := zebra.RouteAdd
		if withdraw {
			cmd = zebra.RouteDelete
		}
		m := &zebra.Message{Header: zebra.Header{Len: zapiHeaderLen, Marker: zapiHeaderMarker, Version: 6, Command: cmd}, Body: b}
		raw, err := m.Serialize(zebra.NewSoftware(6, name))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	for _, withdraw := range []bool{false, true} {
		if a, b := enc("frr8.2", withdraw), enc("frr8.4", withdraw); !bytes.Equal(a, b) {
			t.Errorf("withdraw %v: frr8.2 % x\nfrr8.4 % x", withdraw, a, b)
		}
	}
}

func mustRouteType(t *testing.T) zebra.RouteType {
	typ, err := zebra.RouteTypeFromString("sharp", 6, zebra.NewSoftware(6, zapiSoftware))
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

// FRR 8.4's interface messages (16-byte names) decode as "frr8.4"; as
// "frr8.2" (20-byte names, what the agent declared before) gobgp v4.8.0
// misreads them and logs a decode failure.
func TestZAPIInterfaceFromFRR84(t *testing.T) {
	msg := zapiMessage(zapiInterfaceAdd, frr84Interface("anycost0", 5, net.HardwareAddr{0x02, 0x42, 0xac, 0x11, 0, 2}))
	decode := func(software string) (string, string) {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		m, err := zebra.ReceiveSingleMsg(log, &readConn{Reader: bytes.NewReader(msg)}, 6, zebra.NewSoftware(6, software), "Zebra")
		if err != nil {
			t.Fatalf("%s: %v", software, err)
		}
		if m == nil {
			return "", logs.String()
		}
		return fmt.Sprintf("%+v", m.Body), logs.String()
	}
	body, _ := decode("frr8.4")
	if !strings.Contains(body, "name:anycost0 index:5 ") || !strings.Contains(body, "hardwareAddr:[2 66 172 17 0 2]") {
		t.Errorf("frr8.4: decoded %s", body)
	}
	body, logs := decode("frr8.2")
	if body != "" || !strings.Contains(logs, "level=WARN msg=\"failed to decode body\"") {
		t.Errorf("frr8.2: decoded %q, log %s", body, logs)
	}
}

// readConn is a net.Conn that only reads.
type readConn struct {
	net.Conn
	io.Reader
}

func (c *readConn) Read(p []byte) (int, error) { return c.Reader.Read(p) }
