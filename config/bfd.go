package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BFD is [ospf.bfd]: Bidirectional Forwarding Detection (RFC 5880, single
// hop RFC 5881) with the OSPF neighbors that are the DR or BDR, so that the
// router drops a server that goes dark within Multiplier x Interval
// instead of the dead interval, and the server drops a dead router as
// fast. Nil without the table: no BFD.
type BFD struct {
	// Interval is the Desired Min TX Interval and the Required Min RX
	// Interval this server advertises.
	Interval time.Duration
	// Multiplier is the Detect Mult: a session is declared down after
	// this many intervals without a packet.
	Multiplier uint8
}

// Defaults and bounds of [ospf.bfd].
const (
	DefaultBFDInterval   = 100 * time.Millisecond
	DefaultBFDMultiplier = 3
	// MinBFDMultiplier is FRR's and BIRD's least: at 1 a single lost
	// packet would take the session down.
	MinBFDMultiplier = 2
	MaxBFDMultiplier = 255
)

// bfdIntervalBound is the range of ospf.bfd.interval: below 10 ms a busy
// server misses its own deadlines; above 10 s BFD detects nothing the
// dead interval would not.
var bfdIntervalBound = bound{10 * time.Millisecond, 10 * time.Second, false}

// rawBFD is [ospf.bfd].
type rawBFD struct {
	Interval   any `toml:"interval"`
	Multiplier any `toml:"multiplier"`
}

// bfd checks [ospf.bfd].
func (v *validator) bfd(r *rawBFD) *BFD {
	const base = "ospf.bfd"
	b := &BFD{}
	iv, ok := v.durationIn(base+".interval", r.Interval, DefaultBFDInterval, bfdIntervalBound)
	if ok && iv%time.Microsecond != 0 {
		// The intervals go on the wire in microseconds (RFC 5880 4.1).
		v.errorf(base+".interval", "%s is not a whole number of microseconds (it is sent in microseconds)", iv)
		iv = DefaultBFDInterval
	}
	b.Interval = iv
	b.Multiplier = uint8(v.integer(base+".multiplier", r.Multiplier, MinBFDMultiplier, MaxBFDMultiplier, DefaultBFDMultiplier))
	return b
}

// DetectTime is how long a session lasts without the peer's packets when
// both sides use these settings: Multiplier x Interval.
func (b *BFD) DetectTime() time.Duration { return time.Duration(b.Multiplier) * b.Interval }

// Summary describes the settings on one line, for logs; "off" for nil.
func (b *BFD) Summary() string {
	if b == nil {
		return "off"
	}
	return fmt.Sprintf("interval %s multiplier %d", shortDuration(b.Interval), b.Multiplier)
}

func (b *BFD) render(s *strings.Builder) {
	s.WriteString("\n[ospf.bfd]\n")
	fmt.Fprintf(s, "interval = %s\n", tomlDuration(b.Interval))
	fmt.Fprintf(s, "multiplier = %s\n", strconv.Itoa(int(b.Multiplier)))
}
