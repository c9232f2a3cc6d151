package lsa

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
)

// TypeServerLoad is the LS type of the server load LSA anycostd servers
// originate for the router agent: U bit set (routers that do not know it
// store and flood it by its scope, RFC 5340 4.5.1 and A.4.2.1), area
// scope (S2=0 S1=1), function code 8176, the first of the range the IANA
// "OSPFv3 LSA Function Codes" registry keeps for experimentation
// (8176-8183, RFC 7770 section 7). docs/router-agent.md says why this and
// not an RFC 7770 Router Information LSA.
const TypeServerLoad Type = 0x8000 | 0x2000 | 8176 // 0xbff0

// ServerLoadVersion is the version of the body layout this package
// writes and reads.
const ServerLoadVersion = 1

// serverLoadFixedLen is the length of a server load LSA body before its
// prefix: version, state, reserved, load, capacity, next hop.
const serverLoadFixedLen = 28

// ErrBadVersion: a versioned body is of a version this package does not
// know.
var ErrBadVersion = errors.New("lsa: unsupported body version")

// ServerState is what the server does with the service's prefix.
type ServerState uint8

// Server states. The zero value is not a state: a body must say one.
const (
	// ServerAdvertised: the prefix is advertised, with the metric the
	// body's prefix carries (the same as its Intra-Area-Prefix-LSA).
	ServerAdvertised ServerState = 1
	// ServerWithdrawn: the service is down (failed checks, socket gone);
	// its Intra-Area-Prefix-LSA is flushed.
	ServerWithdrawn ServerState = 2
	// ServerDrained: the operator drains the service; its
	// Intra-Area-Prefix-LSA is flushed.
	ServerDrained ServerState = 3
	// ServerAgent: not a server. The originator is a router agent
	// (anycostd router) that programs weighted next hops for the prefix;
	// the body's load, capacity and metric are 0, its next hop is the
	// agent's own link-local address. Servers that see a live one hold
	// their load tiers at the base metric (docs/router-agent.md, "Tiers
	// under the agent"). Readers of version 1 before this state reject
	// the body (state unknown) and so ignore it.
	ServerAgent ServerState = 4
)

func (s ServerState) String() string {
	switch s {
	case ServerAdvertised:
		return "advertised"
	case ServerWithdrawn:
		return "withdrawn"
	case ServerDrained:
		return "drained"
	case ServerAgent:
		return "agent"
	}
	return fmt.Sprintf("ServerState(%d)", uint8(s))
}

// Fixed-point scales of the load and capacity fields.
const (
	// LoadScale: the load field counts millionths; 1000000 is a load
	// figure of 1.0 (saturated).
	LoadScale = 1_000_000
	// CapacityScale: the capacity field counts thousandths; 1000 is a
	// capacity of 1.0.
	CapacityScale = 1000
)

// ServerLoad is the body of a server load LSA: one service of one server,
// what the router agent needs to weigh it against the other servers of the
// same anycast prefix. Layout (all big-endian, 32-bit aligned):
//
//	 0  version (1)       1  state (ServerState; 4: a router agent's)
//	 2..3  reserved (0)
//	 4..7    load, millionths of the load figure
//	 8..11   capacity, thousandths
//	12..27   next hop: the server's link-local address on the link
//	28..     the prefix (RFC 5340 A.4.1); its 16-bit field is the metric
//	         advertised for it (0 unless State is ServerAdvertised)
//
// Reserved bits are written 0 and ignored on reading.
type ServerLoad struct {
	State ServerState
	// Load is the service's load figure in millionths (LoadScale).
	Load uint32
	// Capacity is the service's capacity in thousandths (CapacityScale),
	// in whatever unit the operator chose for the whole farm.
	Capacity uint32
	// NextHop is the server's link-local address on the link the router
	// reaches it over. It has no zone; a zone given is not encoded.
	NextHop netip.Addr
	// Prefix is the anycast prefix; Prefix.Metric is the advertised
	// metric.
	Prefix Prefix
}

// Type returns TypeServerLoad.
func (*ServerLoad) Type() Type { return TypeServerLoad }

// LoadFigure returns Load as a load figure (1.0 saturated).
func (s *ServerLoad) LoadFigure() float64 { return float64(s.Load) / LoadScale }

// CapacityFigure returns Capacity as a number (1.0 = 1000 thousandths).
func (s *ServerLoad) CapacityFigure() float64 { return float64(s.Capacity) / CapacityScale }

// EncodeLoad converts a load figure to the load field: rounded to the
// nearest millionth, negative and NaN as 0, above the field's range as its
// largest value.
func EncodeLoad(f float64) uint32 { return toFixed(f, LoadScale) }

// EncodeCapacity converts a capacity to the capacity field, rounded to the
// nearest thousandth and clamped like EncodeLoad.
func EncodeCapacity(f float64) uint32 { return toFixed(f, CapacityScale) }

func toFixed(f float64, scale float64) uint32 {
	v := math.Round(f * scale)
	switch {
	case !(v > 0): // NaN too
		return 0
	case v >= math.MaxUint32:
		return math.MaxUint32
	}
	return uint32(v)
}

// String describes the body, e.g.
// "2001:db8:53::53/128 advertised metric 10 load 0.250 capacity 2.000 via fe80::11",
// or for a router agent's "2001:db8:53::53/128 weighed by a router agent at fe80::a".
func (s *ServerLoad) String() string {
	if s == nil {
		return "<nil>"
	}
	if s.State == ServerAgent {
		return fmt.Sprintf("%s%s weighed by a router agent at %s", s.Prefix.Prefix, s.Prefix.optionsSuffix(), s.NextHop)
	}
	state := s.State.String()
	if s.State == ServerAdvertised {
		state += fmt.Sprintf(" metric %d", s.Prefix.Metric)
	}
	return fmt.Sprintf("%s%s %s load %.3f capacity %.3f via %s", s.Prefix.Prefix, s.Prefix.optionsSuffix(),
		state, s.LoadFigure(), s.CapacityFigure(), s.NextHop)
}

func parseServerLoad(b []byte) (*ServerLoad, error) {
	if len(b) < serverLoadFixedLen {
		return nil, fmt.Errorf("server-load: body needs %d bytes, have %d: %w", serverLoadFixedLen, len(b), ErrTruncated)
	}
	if b[0] != ServerLoadVersion {
		return nil, fmt.Errorf("server-load: version %d, want %d: %w", b[0], ServerLoadVersion, ErrBadVersion)
	}
	st := ServerState(b[1])
	if st < ServerAdvertised || st > ServerAgent {
		return nil, fmt.Errorf("server-load: state %d unknown: %w", b[1], ErrBadField)
	}
	p, n, err := parsePrefix(b[serverLoadFixedLen:])
	if err != nil {
		return nil, fmt.Errorf("server-load: %w", err)
	}
	if rest := len(b) - serverLoadFixedLen - n; rest != 0 {
		return nil, fmt.Errorf("server-load: %d bytes after the prefix: %w", rest, ErrBadLength)
	}
	return &ServerLoad{
		State:    st,
		Load:     binary.BigEndian.Uint32(b[4:8]),
		Capacity: binary.BigEndian.Uint32(b[8:12]),
		NextHop:  netip.AddrFrom16([16]byte(b[12:28])),
		Prefix:   p,
	}, nil
}

func (s *ServerLoad) check() error {
	if s == nil {
		return fmt.Errorf("server-load: nil body: %w", ErrBadField)
	}
	if s.State < ServerAdvertised || s.State > ServerAgent {
		return fmt.Errorf("server-load: state %d unknown: %w", uint8(s.State), ErrBadField)
	}
	if !s.NextHop.Is6() {
		return fmt.Errorf("server-load: next hop %v is not IPv6: %w", s.NextHop, ErrBadField)
	}
	if err := checkPrefix(s.Prefix.Prefix); err != nil {
		return fmt.Errorf("server-load: %w", err)
	}
	return nil
}

func (s *ServerLoad) appendTo(b []byte) []byte {
	b = append(b, ServerLoadVersion, byte(s.State), 0, 0)
	b = binary.BigEndian.AppendUint32(b, s.Load)
	b = binary.BigEndian.AppendUint32(b, s.Capacity)
	a := s.NextHop.As16()
	b = append(b, a[:]...)
	return appendPrefix(b, s.Prefix, s.Prefix.Metric)
}
