package bfd

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Version is the protocol version this package speaks (RFC 5880 4.1).
const Version = 1

// HeaderLen is the length of the mandatory section of a control packet
// (RFC 5880 4.1); a packet without authentication is exactly this long.
const HeaderLen = 24

// authHeaderLen is the Auth Type and Auth Len bytes that start the
// optional authentication section (RFC 5880 4.2).
const authHeaderLen = 2

// maxInterval is the largest interval the 32-bit microsecond fields hold.
const maxInterval = math.MaxUint32 * time.Microsecond

// ControlPacket is one BFD Control packet (RFC 5880 4.1) as it travels in
// a UDP datagram to port 3784 (RFC 5881 4). Version and Length belong to
// the codec: Marshal writes version 1 and computes the length; Parse
// checks both. The Multipoint bit must be zero (RFC 5880 4.1, 6.8.6 step
// 5) and has no field.
//
// Intervals are whole microseconds on the wire.
type ControlPacket struct {
	Diag  Diag
	State State
	// Poll (P) asks the peer to answer with Final (RFC 5880 6.5).
	Poll bool
	// Final (F) answers a Poll.
	Final bool
	// ControlPlaneIndependent (C) says the sender's BFD does not share
	// fate with its control plane (RFC 5880 4.1). anycostd shares it.
	ControlPlaneIndependent bool
	// Demand (D) asks the peer to stop periodic transmission once both
	// sides are Up (RFC 5880 6.6).
	Demand bool
	// DetectMult is the sender's detection time multiplier, never zero.
	DetectMult uint8
	// MyDiscriminator is the sender's discriminator, never zero.
	MyDiscriminator uint32
	// YourDiscriminator is the receiver's discriminator as the sender
	// knows it; zero only while the sender is Down or AdminDown.
	YourDiscriminator uint32
	// DesiredMinTx is the sender's bfd.DesiredMinTxInterval.
	DesiredMinTx time.Duration
	// RequiredMinRx is the sender's bfd.RequiredMinRxInterval; zero asks
	// the peer not to send periodic packets at all.
	RequiredMinRx time.Duration
	// RequiredMinEchoRx is the slowest Echo rate the sender accepts; zero
	// when it does not loop Echo packets back.
	RequiredMinEchoRx time.Duration
	// Auth is the authentication section; nil when the A bit is clear.
	Auth *Auth
}

// AuthType is the Auth Type of the authentication section (RFC 5880 4.2).
type AuthType uint8

// The authentication types of RFC 5880 4.2.
const (
	AuthSimplePassword     AuthType = 1
	AuthKeyedMD5           AuthType = 2
	AuthMeticulousMD5      AuthType = 3
	AuthKeyedSHA1          AuthType = 4
	AuthMeticulousKeyedSHA AuthType = 5
)

// Auth is the authentication section of a control packet: its type and
// everything after Auth Len (Auth Key ID, then the password or the
// reserved byte, sequence number and digest). The package does not
// authenticate; Parse checks the section's length for its type.
type Auth struct {
	Type AuthType
	Data []byte
}

// authLens gives the allowed Auth Len range of each known type: 3 + a
// 1..16-byte password (RFC 5880 4.2.2), 24 for the MD5 types (4.3), 28 for
// the SHA1 types (4.4). Unknown types need only the two header bytes.
func authLens(t AuthType) (lo, hi int) {
	switch t {
	case AuthSimplePassword:
		return 4, 19
	case AuthKeyedMD5, AuthMeticulousMD5:
		return 24, 24
	case AuthKeyedSHA1, AuthMeticulousKeyedSHA:
		return 28, 28
	}
	return authHeaderLen, math.MaxUint8 - HeaderLen
}

// Flag bits of the second byte (RFC 5880 4.1), below the two State bits.
const (
	flagPoll       = 1 << 5
	flagFinal      = 1 << 4
	flagCPI        = 1 << 3
	flagAuth       = 1 << 2
	flagDemand     = 1 << 1
	flagMultipoint = 1 << 0
	stateShift     = 6
	versionShift   = 5
	diagMask       = 0x1f
)

// Parse decodes one control packet from the start of b (the UDP payload)
// and applies the checks of RFC 5880 6.8.6 steps 1-6 and 8, which need no
// session: version 1, Length at least 24 (26 with the A bit) and within b,
// Detect Mult not zero, M clear, My Discriminator not zero, Your
// Discriminator not zero unless State is Down or AdminDown. Stricter than
// 6.8.6 (which only sets minimums), Length must match the packet exactly:
// 24 without authentication, 24 + Auth Len with it, and Auth Len must fit
// the authentication type. Bytes after Length are ignored. The result's
// Auth.Data is a copy.
func Parse(b []byte) (ControlPacket, error) {
	if len(b) < HeaderLen {
		return ControlPacket{}, fmt.Errorf("bfd: %d bytes, a control packet has at least %d: %w", len(b), HeaderLen, ErrTruncated)
	}
	// Step 1.
	if v := b[0] >> versionShift; v != Version {
		return ControlPacket{}, fmt.Errorf("bfd: version %d: %w", v, ErrVersion)
	}
	flags := b[1]
	hasAuth := flags&flagAuth != 0
	n := int(b[3])
	// Step 2.
	switch {
	case !hasAuth && n != HeaderLen:
		return ControlPacket{}, fmt.Errorf("bfd: length %d without authentication, want %d: %w", n, HeaderLen, ErrBadLength)
	case hasAuth && n < HeaderLen+authHeaderLen:
		return ControlPacket{}, fmt.Errorf("bfd: length %d with the A bit, want at least %d: %w", n, HeaderLen+authHeaderLen, ErrBadLength)
	}
	// Step 3.
	if n > len(b) {
		return ControlPacket{}, fmt.Errorf("bfd: length %d but %d bytes present: %w", n, len(b), ErrTruncated)
	}
	p := ControlPacket{
		Diag:                    Diag(b[0] & diagMask),
		State:                   State(flags >> stateShift),
		Poll:                    flags&flagPoll != 0,
		Final:                   flags&flagFinal != 0,
		ControlPlaneIndependent: flags&flagCPI != 0,
		Demand:                  flags&flagDemand != 0,
		DetectMult:              b[2],
		MyDiscriminator:         binary.BigEndian.Uint32(b[4:8]),
		YourDiscriminator:       binary.BigEndian.Uint32(b[8:12]),
		DesiredMinTx:            micros(b[12:16]),
		RequiredMinRx:           micros(b[16:20]),
		RequiredMinEchoRx:       micros(b[20:24]),
	}
	// Step 4.
	if p.DetectMult == 0 {
		return ControlPacket{}, fmt.Errorf("bfd: detect multiplier 0 from discriminator %d: %w", p.MyDiscriminator, ErrDetectMult)
	}
	// Step 5.
	if flags&flagMultipoint != 0 {
		return ControlPacket{}, fmt.Errorf("bfd: M bit set by discriminator %d: %w", p.MyDiscriminator, ErrMultipoint)
	}
	// Step 6.
	if p.MyDiscriminator == 0 {
		return ControlPacket{}, fmt.Errorf("bfd: my discriminator 0 in a %v packet: %w", p.State, ErrMyDiscriminator)
	}
	// Step 8 (step 7 needs the sessions: the engine does it).
	if p.YourDiscriminator == 0 && p.State != StateDown && p.State != StateAdminDown {
		return ControlPacket{}, fmt.Errorf("bfd: your discriminator 0 in a %v packet from discriminator %d: %w", p.State, p.MyDiscriminator, ErrYourDiscriminator)
	}
	if hasAuth {
		a, err := parseAuth(b[HeaderLen:n])
		if err != nil {
			return ControlPacket{}, err
		}
		p.Auth = &a
	}
	return p, nil
}

// parseAuth decodes the authentication section s (from Auth Type to the
// end of Length).
func parseAuth(s []byte) (Auth, error) {
	t, alen := AuthType(s[0]), int(s[1])
	if alen != len(s) {
		return Auth{}, fmt.Errorf("bfd: auth len %d but the packet length leaves %d bytes for the section: %w", alen, len(s), ErrBadLength)
	}
	if lo, hi := authLens(t); alen < lo || alen > hi {
		return Auth{}, fmt.Errorf("bfd: auth len %d for auth type %d, want %d..%d: %w", alen, t, lo, hi, ErrBadLength)
	}
	return Auth{Type: t, Data: append([]byte{}, s[authHeaderLen:]...)}, nil
}

// micros reads a 32-bit microsecond interval.
func micros(b []byte) time.Duration {
	return time.Duration(binary.BigEndian.Uint32(b)) * time.Microsecond
}

// Marshal encodes p. It refuses what Parse would refuse and values that do
// not fit their fields (Diag above 31, State above 3, intervals that are
// negative, not whole microseconds or beyond 2^32-1 microseconds, an
// authentication section too long for the 8-bit Length).
func (p ControlPacket) Marshal() ([]byte, error) {
	n := HeaderLen
	if p.Auth != nil {
		n += authHeaderLen + len(p.Auth.Data)
	}
	return p.Append(make([]byte, 0, n))
}

// Append appends the encoding of p (see Marshal) to dst. On error it
// returns dst unchanged.
func (p ControlPacket) Append(dst []byte) ([]byte, error) {
	if err := p.check(); err != nil {
		return dst, err
	}
	n := HeaderLen
	flags := byte(p.State) << stateShift
	if p.Auth != nil {
		n += authHeaderLen + len(p.Auth.Data)
		flags |= flagAuth
	}
	for _, f := range []struct {
		set bool
		bit byte
	}{{p.Poll, flagPoll}, {p.Final, flagFinal}, {p.ControlPlaneIndependent, flagCPI}, {p.Demand, flagDemand}} {
		if f.set {
			flags |= f.bit
		}
	}
	b := append(dst, Version<<versionShift|byte(p.Diag), flags, p.DetectMult, byte(n))
	b = binary.BigEndian.AppendUint32(b, p.MyDiscriminator)
	b = binary.BigEndian.AppendUint32(b, p.YourDiscriminator)
	for _, d := range []time.Duration{p.DesiredMinTx, p.RequiredMinRx, p.RequiredMinEchoRx} {
		b = binary.BigEndian.AppendUint32(b, uint32(d/time.Microsecond))
	}
	if p.Auth != nil {
		b = append(b, byte(p.Auth.Type), byte(authHeaderLen+len(p.Auth.Data)))
		b = append(b, p.Auth.Data...)
	}
	return b, nil
}

// check validates p for Marshal.
func (p ControlPacket) check() error {
	switch {
	case p.Diag > maxDiag:
		return fmt.Errorf("bfd: diagnostic %d does not fit 5 bits: %w", p.Diag, ErrBadField)
	case p.State > StateUp:
		return fmt.Errorf("bfd: state %d does not fit 2 bits: %w", p.State, ErrBadField)
	case p.DetectMult == 0:
		return fmt.Errorf("bfd: marshal: %w", ErrDetectMult)
	case p.MyDiscriminator == 0:
		return fmt.Errorf("bfd: marshal: %w", ErrMyDiscriminator)
	case p.YourDiscriminator == 0 && p.State != StateDown && p.State != StateAdminDown:
		return fmt.Errorf("bfd: marshal: %v packet: %w", p.State, ErrYourDiscriminator)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"desired min TX", p.DesiredMinTx}, {"required min RX", p.RequiredMinRx}, {"required min echo RX", p.RequiredMinEchoRx}} {
		if f.d < 0 || f.d > maxInterval || f.d%time.Microsecond != 0 {
			return fmt.Errorf("bfd: %s interval %v is not 0..2^32-1 whole microseconds: %w", f.name, f.d, ErrBadField)
		}
	}
	if p.Auth != nil {
		alen := authHeaderLen + len(p.Auth.Data)
		if lo, hi := authLens(p.Auth.Type); alen < lo || alen > hi {
			return fmt.Errorf("bfd: auth len %d for auth type %d, want %d..%d: %w", alen, p.Auth.Type, lo, hi, ErrBadLength)
		}
	}
	return nil
}
