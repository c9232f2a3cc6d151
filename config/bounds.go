package config

import (
	"fmt"
	"strings"
	"time"
)

// The ranges below keep every duration key where it can neither spin
// (a socket, probe or external interval of "1ns" is a busy loop; for an
// external command a fork loop) nor stall (a retransmission or a flush
// that waits a day). testdata/reference.toml documents each one.

// bound is the range a duration key accepts (hi 0: no upper bound, for
// a key whose engine checks the range); whole asks for whole seconds (the
// value goes on the wire in seconds).
type bound struct {
	lo, hi time.Duration
	whole  bool
}

// Ranges of the duration keys.
var (
	// HelloInterval and RouterDeadInterval are 16-bit seconds in the
	// Hello packet (RFC 5340 A.3.2); the dead interval must also be
	// longer than the hello interval.
	helloBound = bound{time.Second, 65534 * time.Second, true}
	deadBound  = bound{2 * time.Second, 65535 * time.Second, true}
	// RxmtInterval (RFC 2328 C.3): below 100 ms the instance would
	// resend faster than a router answers; above an hour a lost LSA is
	// as good as lost.
	retransmitBound = bound{100 * time.Millisecond, time.Hour, false}
	// InfTransDelay is added to LS age, which counts seconds (RFC 2328
	// C.3); FRR takes 1..3600.
	transmitDelayBound = bound{time.Second, time.Hour, true}
	// MinLSInterval; it must also be shorter than retransmit_interval.
	minLSBound = bound{10 * time.Millisecond, time.Hour, false}
	// flush_timeout and drain_time bound a stop, which systemd cuts at
	// its TimeoutStopSec (stop_timeout, checked by stopTime).
	flushBound = bound{100 * time.Millisecond, time.Minute, false}
	drainBound = bound{0, 10 * time.Minute, false}
	// Monitors. Sampling sockets costs one netlink dump; a probe is one
	// query to the service; an external command is one fork.
	socketIntervalBound   = bound{10 * time.Millisecond, time.Minute, false}
	probeIntervalBound    = bound{50 * time.Millisecond, time.Minute, false}
	externalIntervalBound = bound{100 * time.Millisecond, 10 * time.Minute, false}
	// The CPU input's window: at least five CFS periods (100 ms each), or
	// a throttled cgroup's usage per window is a sawtooth.
	cpuIntervalBound = bound{500 * time.Millisecond, 10 * time.Minute, false}
	// [service.probe] hung_after: 0 turns the rule off.
	hungAfterBound = bound{0, 10 * time.Minute, false}
	// A probe or command timeout is at most its interval.
	timeoutBound = bound{10 * time.Millisecond, 10 * time.Minute, false}
	// [nd] min_gap: ndproxy.CheckMinGap has its range. standby_after:
	// its lower bound is 10 x min_gap (ndproxy.CheckStandbyAfter).
	minGapBound  = bound{1, 0, false}
	standbyBound = bound{1, time.Hour, false}
	// stop_timeout: the shortest stop is two StopGraces; an hour stands
	// for a TimeoutStopSec of infinity.
	stopTimeoutBound = bound{2 * StopGrace, time.Hour, false}
)

// MaxServices is the most [[service]] tables a configuration may hold.
// Each service is one LSA at the router per server, its own monitors and
// cost model here; a thousand is far above any farm's needs and far below
// what the router's LSDB and the daemon's start-up can bear.
const MaxServices = 1000

// MaxLoad is where the load figure tops out (costmodel.MaxLoad: each
// term is capped at 1 x its weight, the figure at 2). A tier's up above
// it can never be reached.
const MaxLoad = 2.0

// MaxFileSize is the largest configuration file Load reads: 1 MiB holds
// MaxServices services with every key and comment.
const MaxFileSize = 1 << 20

// durationIn reads a duration key within b, or def when absent. ok is
// false when the key is there but wrong (then reported): a comparison
// with another key must then be skipped, or the default would stand in
// for the bad value and give a second, false error.
func (v *validator) durationIn(key string, x any, def time.Duration, b bound) (time.Duration, bool) {
	if x == nil {
		return def, true
	}
	d, ok := v.durationOrZero(key, x)
	switch {
	case !ok:
	case d == 0 && b.lo > 0 && b.hi == 0:
		v.errorf(key, "must be above 0")
	case d == 0 && b.lo > 0:
		v.errorf(key, "must be above 0 (%s..%s)", shortDuration(b.lo), shortDuration(b.hi))
	case b.lo <= 1 && b.hi > 0 && d > b.hi:
		v.errorf(key, "%s is above the maximum %s", shortDuration(d), shortDuration(b.hi))
	case d < b.lo || b.hi > 0 && d > b.hi:
		v.errorf(key, "%s is out of range %s..%s", shortDuration(d), shortDuration(b.lo), shortDuration(b.hi))
	case b.whole && d%time.Second != 0:
		v.errorf(key, "%s is not a whole number of seconds (it is sent in seconds)", d)
	default:
		return d, true
	}
	return def, false
}

// shortDuration writes d without trailing zero units: "1m", "1h", "1m30s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// DefaultStopTimeout is stop_timeout's default: the time systemd allows
// a stop before it kills anycostd, TimeoutStopSec of
// contrib/anycostd.service (contrib's test keeps them equal).
const DefaultStopTimeout = 30 * time.Second

// StopGrace is the slack the daemon adds to each of the two bounded
// phases of a stop: the drain (the longest drain_time and two pacing
// intervals) and the flush (flush_timeout).
const StopGrace = 5 * time.Second

// stopTime refuses a configuration whose stop may outlast stop_timeout:
// systemd would kill anycostd before it flushes, and the routers would
// keep sending to a dead server until their dead interval. It runs on an
// otherwise valid configuration only, so that no default stands in for a
// bad value (a second, false error).
func (v *validator) stopTime(c *Config) {
	st := c.StopTime()
	if st <= c.StopTimeout {
		return
	}
	v.errorf(v.stopKey(c), "a stop may take up to %s (the longest drain_time %s + 2 x pacing %s + %s, then flush_timeout %s + %s), "+
		"above stop_timeout %s (the unit's TimeoutStopSec, contrib/anycostd.service): systemd would kill anycostd before it flushes; "+
		"shorten drain_time or flush_timeout, or raise TimeoutStopSec to at least %s (a drop-in) and stop_timeout with it",
		shortDuration(st), shortDuration(c.longestDrain()), shortDuration(c.stopPacing()), shortDuration(StopGrace),
		shortDuration(c.OSPF.FlushTimeout), shortDuration(StopGrace), shortDuration(c.StopTimeout),
		shortDuration((st + time.Second - 1).Truncate(time.Second)))
}

// stopKey is the key a stop too long is reported at: the drain_time of
// the service that drains longest, or else the first of flush_timeout,
// stop_timeout and the pacing key the file sets (a line to point at).
func (v *validator) stopKey(c *Config) string {
	drain := ""
	for i, s := range c.Services {
		if s.DrainTime == c.longestDrain() {
			drain = fmt.Sprintf("service[%d].drain_time", i)
			break
		}
	}
	pacing := "ospf.min_ls_interval"
	if c.ND.MinGap > c.OSPF.MinLSInterval {
		pacing = "nd.min_gap"
	}
	for _, k := range []string{drain, "ospf.flush_timeout", "stop_timeout", pacing} {
		if _, ok := v.ix.line[k]; ok && k != "" {
			return k
		}
	}
	if drain != "" {
		return drain
	}
	return "stop_timeout"
}

// StopTime is the longest a stop (SIGTERM) of a daemon running c may take
// before it exits: the drain, bounded by the longest drain_time plus two
// pacing intervals and StopGrace, then the flush, bounded by
// flush_timeout plus StopGrace.
func (c *Config) StopTime() time.Duration {
	return c.longestDrain() + 2*c.stopPacing() + StopGrace + c.OSPF.FlushTimeout + StopGrace
}

// longestDrain is the longest drain_time of the services.
func (c *Config) longestDrain() time.Duration {
	longest := time.Duration(0)
	for _, s := range c.Services {
		longest = max(longest, s.DrainTime)
	}
	return longest
}

// stopPacing is the slower of the two modes' pacing (min_ls_interval,
// min_gap), which the drain waits twice for.
func (c *Config) stopPacing() time.Duration {
	return max(c.OSPF.MinLSInterval, c.ND.MinGap)
}
