package auth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"sync"
	"time"

	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/packet"
)

// The counter names of Transport.Counters.
const (
	// Drops of received packets, by reason.
	CountNoTrailer = "no-trailer" // no trailer, or a Hello/DBD without the AT bit
	CountBadKeyID  = "bad-key-id" // no acceptable key with the trailer's key ID
	CountBadHMAC   = "bad-hmac"   // digest mismatch, or a digest length not the key's algorithm
	CountReplay    = "replay"     // sequence number not above the last accepted one
	CountMalformed = "malformed"  // packet or trailer cannot be parsed
	// Packets not sent: no key to send with, no sequence number (state
	// file not writable), or a packet Append refused.
	CountSendError = "send-error"
	// Packets passed: verified and handed up, signed and handed down.
	CountVerified = "verified"
	CountSigned   = "signed"
)

// logEvery is the least time between two log lines of the same kind.
const logEvery = 10 * time.Second

// Transport adds RFC 7166 authentication to an ospf.Transport. It signs
// every packet the engine writes (Append) and verifies every packet read
// (Verify, then replay protection), handing up only authenticated packets,
// without their trailer. What fails is dropped, counted by reason (Counters)
// and logged at most once per reason every 10 s.
//
// The inner transport must leave the OSPF checksum alone in both
// directions: on a raw socket, do NOT set IPV6_CHECKSUM. The kernel would
// overwrite the checksum field after the digest was computed over it, so no
// peer could verify our packets, and it would silently discard every
// received packet whose checksum is not right over the whole payload: FRR
// and BIRD send zero with a trailer. See the package documentation.
type Transport struct {
	inner ospf.Transport
	src   netip.Addr
	kc    *Keychain
	seq   SeqSource
	log   *slog.Logger
	now   func() time.Time

	mu     sync.Mutex
	counts map[string]uint64
	replay *replayGuard
	logs   map[string]logState
}

// logState rate-limits one kind of log line.
type logState struct {
	last       time.Time
	suppressed uint64
}

// SeqSource hands out the 64-bit cryptographic sequence numbers of RFC
// 7166 section 4.1, never the same twice (authfile.SeqStore keeps them
// growing across restarts).
type SeqSource interface {
	Next() (uint64, error)
}

// NewTransport wraps inner. src is the link-local address packets leave
// from (it goes into every digest); kc holds the keys; seq numbers the
// packets (opened before the first packet is sent); log may be nil
// (slog.Default).
func NewTransport(inner ospf.Transport, src netip.Addr, kc *Keychain, seq SeqSource, log *slog.Logger) *Transport {
	if log == nil {
		log = slog.Default()
	}
	return &Transport{
		inner:  inner,
		src:    src,
		kc:     kc,
		seq:    seq,
		log:    log,
		now:    time.Now,
		counts: make(map[string]uint64),
		replay: newReplayGuard(),
		logs:   make(map[string]logState),
	}
}

// ReadDatagram returns the next authenticated packet, its trailer removed
// (Data ends at the packet's Length, or after its LLS block). Packets that
// fail authentication are dropped and counted; ReadDatagram keeps reading
// until one passes or the inner transport fails.
func (t *Transport) ReadDatagram() (ospf.Datagram, error) {
	for {
		d, err := t.inner.ReadDatagram()
		if err != nil {
			return d, err
		}
		now := t.now()
		tr, err := Verify(d.Data, d.Src, t.kc, now)
		t.mu.Lock()
		if err == nil {
			s := sender{d.Src, binary.BigEndian.Uint32(d.Data[4:8])}
			err = t.replay.accept(s, packet.Type(d.Data[1]), tr.Seq, now)
		}
		if err == nil {
			t.counts[CountVerified]++
			t.mu.Unlock()
			d.Data = d.Data[:tr.Start:tr.Start]
			return d, nil
		}
		reason := dropReason(err)
		t.counts[reason]++
		logIt, suppressed := t.rateLimit(reason, now)
		t.mu.Unlock()
		if logIt {
			attrs := []any{"reason", reason, "src", d.Src, "err", err}
			if len(d.Data) >= packet.HeaderLen {
				attrs = append(attrs, "router_id", idString(binary.BigEndian.Uint32(d.Data[4:8])))
			}
			if suppressed > 0 {
				attrs = append(attrs, "suppressed", suppressed)
			}
			t.log.Warn("dropped OSPF packet: authentication failed", attrs...)
		}
	}
}

// WriteDatagram signs data with the current send key and the next sequence
// number and writes it to dst. data is not modified.
func (t *Transport) WriteDatagram(dst netip.Addr, data []byte) error {
	now := t.now()
	key, ok := t.kc.SendKey(now)
	if !ok {
		return t.sendFailed(now, fmt.Errorf("send to %v: no key's send window has started: %w", dst, ErrNoSendKey))
	}
	if !key.SendUntil.IsZero() && !now.Before(key.SendUntil) {
		t.mu.Lock()
		logIt, suppressed := t.rateLimit("send-key-expired", now)
		t.mu.Unlock()
		if logIt {
			t.log.Warn("the send window of the last key has ended; still sending with it (RFC 2328 D.3): configure a new key",
				"key_id", key.ID, "send_until", key.SendUntil, "suppressed", suppressed)
		}
	}
	seq, err := t.seq.Next()
	if err != nil {
		return t.sendFailed(now, fmt.Errorf("send to %v: %w", dst, err))
	}
	out, err := Append(data, t.src, key, seq)
	if err != nil {
		return t.sendFailed(now, fmt.Errorf("send to %v: %w", dst, err))
	}
	if err := t.inner.WriteDatagram(dst, out); err != nil {
		return err
	}
	t.mu.Lock()
	t.counts[CountSigned]++
	t.mu.Unlock()
	return nil
}

// sendFailed counts and logs a packet that could not be signed.
func (t *Transport) sendFailed(now time.Time, err error) error {
	t.mu.Lock()
	t.counts[CountSendError]++
	logIt, suppressed := t.rateLimit(CountSendError, now)
	t.mu.Unlock()
	if logIt {
		t.log.Error("cannot sign OSPF packet; not sent", "err", err, "suppressed", suppressed)
	}
	return err
}

// Close closes the inner transport. The sequence number source stays
// open (its owner closes it).
func (t *Transport) Close() error { return t.inner.Close() }

// Counters returns a copy of the counters (see the Count* names). Reasons
// never seen are absent.
func (t *Transport) Counters() map[string]uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.counts)
}

// Overhead is the most bytes a trailer adds to a packet: the engine must
// keep its packets this much below the link MTU minus the IPv6 header.
func (t *Transport) Overhead() int { return t.kc.MaxTrailerLen() }

// Forget drops the replay state of a sender; call it when the neighbor is
// deleted, so that a router that restarted and lost its sequence state is
// accepted again at once.
func (t *Transport) Forget(src netip.Addr, routerID uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.replay.forget(src, routerID)
}

// SetReplayExpiry sets how long a silent sender's replay state is kept
// (DefaultReplayExpiry until set); use the link's RouterDeadInterval.
func (t *Transport) SetReplayExpiry(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.replay.expiry = d
}

// rateLimit reports whether a line of kind may be logged now and how many
// were suppressed since the last one. Callers hold t.mu.
func (t *Transport) rateLimit(kind string, now time.Time) (bool, uint64) {
	st := t.logs[kind]
	if !st.last.IsZero() && now.Sub(st.last) < logEvery && now.Sub(st.last) >= 0 {
		st.suppressed++
		t.logs[kind] = st
		return false, 0
	}
	t.logs[kind] = logState{last: now}
	return true, st.suppressed
}

// dropReason maps a Verify or replay error to its counter name.
func dropReason(err error) string {
	switch {
	case errors.Is(err, ErrNoTrailer):
		return CountNoTrailer
	case errors.Is(err, ErrUnknownKey):
		return CountBadKeyID
	case errors.Is(err, ErrBadDigest), errors.Is(err, ErrAlgorithm):
		return CountBadHMAC
	case errors.Is(err, ErrReplay):
		return CountReplay
	}
	return CountMalformed
}

// Compile-time check: Transport is an ospf.Transport.
var _ ospf.Transport = (*Transport)(nil)
