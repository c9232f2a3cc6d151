package daemon

import (
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/auth"
	"github.com/anycostd/anycostd/ospf/auth/authfile"
)

// authDropPrefix starts the names under which the authentication drops
// join the engine's drop counters in status and metrics.
const authDropPrefix = "auth-"

// ospfAuth is the daemon's RFC 7166 authentication: the keys read at start
// and, once wrap has run, the sequence number state and the transport. A
// nil *ospfAuth is no authentication; every method accepts it.
type ospfAuth struct {
	cfg  *config.Auth
	kc   *auth.Keychain
	dead time.Duration // replay state of a silent sender expires after it
	seq  *authfile.SeqStore
	tr   *auth.Transport
}

// loadAuth reads the keys of [ospf.auth] (authKeys) and builds the
// keychain. It returns nil without [ospf.auth].
func loadAuth(o config.OSPF) (*ospfAuth, error) {
	a := o.Auth
	if a == nil {
		return nil, nil
	}
	keys, err := authKeys(a)
	if err != nil {
		return nil, err
	}
	kc, err := auth.NewKeychain(keys...)
	if err != nil {
		return nil, fmt.Errorf("ospf.auth: %w", err)
	}
	return &ospfAuth{cfg: a, kc: kc, dead: o.DeadInterval}, nil
}

// noKernelChecksum says how to open the OSPF socket: with a trailer the
// kernel must neither fill nor check the OSPF checksum.
func (a *ospfAuth) noKernelChecksum() bool { return a != nil }

// wrap opens the sequence number state (a new boot, written durably
// before any packet leaves) and returns inner wrapped in the
// authenticating transport; src is the link-local address packets leave
// from. Without authentication it returns inner.
func (a *ospfAuth) wrap(inner ospf.Transport, src netip.Addr, log *slog.Logger) (ospf.Transport, error) {
	if a == nil {
		return inner, nil
	}
	seq, err := authfile.OpenSeqStore(a.cfg.SeqFile)
	if err != nil {
		return nil, fmt.Errorf("ospf.auth seq_file: %w", err)
	}
	a.seq = seq
	a.tr = auth.NewTransport(inner, src, a.kc, seq, log)
	a.tr.SetReplayExpiry(a.dead)
	now := time.Now()
	send, ok := a.kc.SendKey(now)
	attrs := []any{"keys", a.cfg.Summary(), "trailer_bytes", a.kc.MaxTrailerLen()}
	if ok {
		attrs = append(attrs, "send_key", send.ID)
	}
	log.Info("OSPF authentication on (RFC 7166)", attrs...)
	if !ok {
		log.Warn("OSPF authentication: no key's send window has started; nothing is sent until one does")
	}
	return a.tr, nil
}

// close releases the sequence number state.
func (a *ospfAuth) close() {
	if a != nil && a.seq != nil {
		a.seq.Close()
	}
}

// trailer is the longest trailer the keys add to a packet (0 without
// authentication): the engine keeps its packets that much below the MTU.
func (a *ospfAuth) trailer() int {
	if a == nil {
		return 0
	}
	return a.kc.MaxTrailerLen()
}

// transport is the authenticating transport once wrap has run, nil
// without authentication.
func (a *ospfAuth) transport() *auth.Transport {
	if a == nil {
		return nil
	}
	return a.tr
}

// mergeAuthDrops returns a copy of dropped with the authentication drops
// of counts added under authDropPrefix, as dropped "auth-<reason>"
// (auth.Count* names), so that `anycostd status` and the metrics show
// them. Packets passed (verified, signed) are left out: they are not
// drops. So are packets not sent for want of a key or sequence number:
// the engine counts those itself, as send-error.
func mergeAuthDrops(dropped, counts map[string]uint64) map[string]uint64 {
	out := maps.Clone(dropped)
	for name, n := range counts {
		switch name {
		case auth.CountVerified, auth.CountSigned, auth.CountSendError:
			continue
		}
		if out == nil {
			out = make(map[string]uint64)
		}
		out[authDropPrefix+name] += n
	}
	return out
}
