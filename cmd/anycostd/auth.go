package main

import (
	"context"
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

// loadAuth reads every key file of [ospf.auth] (authfile.LoadKeyFile: the file
// holds the key alone, mode 0600 or stricter) and builds the keychain. It
// returns nil without [ospf.auth].
func loadAuth(o config.OSPF) (*ospfAuth, error) {
	a := o.Auth
	if a == nil {
		return nil, nil
	}
	keys := make([]auth.Key, 0, len(a.Keys))
	for _, k := range a.Keys {
		secret, err := authfile.LoadKeyFile(k.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("ospf.auth key %d: %w", k.ID, err)
		}
		keys = append(keys, auth.Key{
			ID:          k.ID,
			Algorithm:   k.Algorithm,
			Dialect:     a.Dialect,
			Secret:      secret,
			SendFrom:    k.SendFrom,
			SendUntil:   k.SendUntil,
			AcceptFrom:  k.AcceptFrom,
			AcceptUntil: k.AcceptUntil,
		})
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

// speaker returns sp, with the authentication drops added to its status.
func (a *ospfAuth) speaker(sp speaker) speaker {
	if a == nil || a.tr == nil {
		return sp
	}
	return authSpeaker{speaker: sp, tr: a.tr}
}

// authSpeaker adds the authentication transport's drop counters to the
// engine's, as dropped "auth-<reason>" (auth.Count* names), so that
// `anycostd status` and the metrics show them. Packets passed (verified,
// signed) are left out: they are not drops. So are packets not sent for
// want of a key or sequence number: the engine counts those itself, as
// send-error.
type authSpeaker struct {
	speaker
	tr *auth.Transport
}

func (s authSpeaker) Status(ctx context.Context) (ospf.Status, error) {
	st, err := s.speaker.Status(ctx)
	if err != nil {
		return st, err
	}
	st.Counters.Dropped = mergeAuthDrops(st.Counters.Dropped, s.tr.Counters())
	return st, nil
}

// mergeAuthDrops returns a copy of dropped with the authentication drops
// of counts added under authDropPrefix.
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
