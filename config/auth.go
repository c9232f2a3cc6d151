package config

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/anycostd/anycostd/ospf/auth"
)

// Auth is [ospf.auth]: the OSPFv3 authentication trailer of RFC 7166 on the
// interface. Keys are read from their files when the daemon starts, not
// here: the configuration names files only and never holds a secret.
type Auth struct {
	// Dialect is how the Cryptographic Protocol ID is appended to each key:
	// DialectRFC7166 (the default: BIRD 2, FRR 9.1 and later) or
	// DialectFRR8 (FRR up to 9.0, e.g. Debian 12's FRR 8.4).
	Dialect auth.Dialect
	// SeqFile keeps the cryptographic sequence number's boot count across
	// restarts (authfile.OpenSeqStore).
	SeqFile string
	// Keys are the key of the [ospf.auth] table itself, if it has one,
	// then each [[ospf.auth.key]] in file order. Never empty; key IDs are
	// unique.
	Keys []AuthKey
}

// AuthKey is one key (RFC 7166 section 3: a security association). Zero
// times are unbounded; a window holds its From time and not its Until time.
type AuthKey struct {
	ID        uint16
	Algorithm auth.Algorithm
	// KeyFile holds the secret alone; it must be mode 0600 or stricter
	// (authfile.LoadKeyFile). An absolute path.
	KeyFile                 string
	SendFrom, SendUntil     time.Time
	AcceptFrom, AcceptUntil time.Time
}

// Defaults of [ospf.auth].
const (
	DefaultAuthAlgorithm = auth.HMACSHA256
	DefaultAuthDialect   = auth.DialectRFC7166
	DefaultAuthSeqFile   = "/var/lib/anycostd/auth-seq"
)

// rawAuth is [ospf.auth]; its key fields describe a key of their own (the
// simple case of one key), [[ospf.auth.key]] tables add more.
type rawAuth struct {
	KeyID       any          `toml:"key_id"`
	Algorithm   any          `toml:"algorithm"`
	KeyFile     any          `toml:"key_file"`
	SendFrom    any          `toml:"send_from"`
	SendUntil   any          `toml:"send_until"`
	AcceptFrom  any          `toml:"accept_from"`
	AcceptUntil any          `toml:"accept_until"`
	Dialect     any          `toml:"dialect"`
	SeqFile     any          `toml:"seq_file"`
	Key         []rawAuthKey `toml:"key"`
}

// ownKey is the key described by the [ospf.auth] table's own key fields.
func (r *rawAuth) ownKey() rawAuthKey {
	return rawAuthKey{r.KeyID, r.Algorithm, r.KeyFile, r.SendFrom, r.SendUntil, r.AcceptFrom, r.AcceptUntil}
}

type rawAuthKey struct {
	KeyID       any `toml:"key_id"`
	Algorithm   any `toml:"algorithm"`
	KeyFile     any `toml:"key_file"`
	SendFrom    any `toml:"send_from"`
	SendUntil   any `toml:"send_until"`
	AcceptFrom  any `toml:"accept_from"`
	AcceptUntil any `toml:"accept_until"`
}

// empty reports whether no key field is set.
func (r *rawAuthKey) empty() bool {
	return r.KeyID == nil && r.Algorithm == nil && r.KeyFile == nil &&
		r.SendFrom == nil && r.SendUntil == nil && r.AcceptFrom == nil && r.AcceptUntil == nil
}

// auth checks [ospf.auth].
func (v *validator) auth(r *rawAuth) *Auth {
	const base = "ospf.auth"
	a := &Auth{Dialect: DefaultAuthDialect, SeqFile: DefaultAuthSeqFile}
	if s, ok := v.str(base+".dialect", r.Dialect); ok {
		if d, err := auth.ParseDialect(s); err == nil {
			a.Dialect = d
		} else {
			v.errorf(base+".dialect", "%q is not a dialect (rfc7166, or frr8 for FRR before 9.1)", s)
		}
	}
	if s, ok := v.str(base+".seq_file", r.SeqFile); ok {
		if p, ok := v.absPath(base+".seq_file", s); ok {
			a.SeqFile = p
		}
	}
	keyOf := make(map[uint16]string) // key ID -> key path that has it
	add := func(key string, rk *rawAuthKey) {
		k, ok := v.authKey(key, rk)
		if !ok {
			return
		}
		if other, dup := keyOf[k.ID]; dup {
			v.errorf(key+".key_id", "%d is already the key ID of %s (line %d)", k.ID, other, v.ix.lookup(other+".key_id"))
			return
		}
		keyOf[k.ID] = key
		a.Keys = append(a.Keys, k)
		v.keyFileKeys = append(v.keyFileKeys, key+".key_file")
	}
	if own := r.ownKey(); !own.empty() || len(r.Key) == 0 {
		add(base, &own)
	}
	for i := range r.Key {
		add(fmt.Sprintf("%s.key[%d]", base, i), &r.Key[i])
	}
	return a
}

// authKey checks one key below base ("ospf.auth" or "ospf.auth.key[1]").
func (v *validator) authKey(base string, r *rawAuthKey) (AuthKey, bool) {
	k := AuthKey{Algorithm: DefaultAuthAlgorithm}
	n := len(v.errs)
	if r.KeyID == nil {
		v.missing(base+".key_id", "key_id = 1 (the router's key-id)")
	} else {
		k.ID = uint16(v.integer(base+".key_id", r.KeyID, 0, 65535, 0))
	}
	if s, ok := v.str(base+".algorithm", r.Algorithm); ok {
		if alg, err := auth.ParseAlgorithm(s); err == nil {
			k.Algorithm = alg
		} else {
			v.errorf(base+".algorithm", "%q is not an algorithm (hmac-sha-1, hmac-sha-256, hmac-sha-384 or hmac-sha-512)", s)
		}
	}
	if r.KeyFile == nil {
		v.missing(base+".key_file", `key_file = "/etc/anycostd/ospf.key" (a file holding the key alone, mode 0600)`)
	} else if s, ok := v.str(base+".key_file", r.KeyFile); ok {
		k.KeyFile, _ = v.absPath(base+".key_file", s)
	}
	k.SendFrom = v.instant(base+".send_from", r.SendFrom)
	k.SendUntil = v.instant(base+".send_until", r.SendUntil)
	k.AcceptFrom = v.instant(base+".accept_from", r.AcceptFrom)
	k.AcceptUntil = v.instant(base+".accept_until", r.AcceptUntil)
	window := func(from, until time.Time, fromKey, untilKey string) {
		if !from.IsZero() && !until.IsZero() && !until.After(from) {
			v.errorf(base+"."+untilKey, "%s is not after %s %s", until.Format(time.RFC3339), fromKey, from.Format(time.RFC3339))
		}
	}
	window(k.SendFrom, k.SendUntil, "send_from", "send_until")
	window(k.AcceptFrom, k.AcceptUntil, "accept_from", "accept_until")
	// A key sent while the peer does not accept it yet costs the
	// adjacency: the accept window must hold the send window.
	if !k.AcceptFrom.IsZero() && (k.SendFrom.IsZero() || k.SendFrom.Before(k.AcceptFrom)) {
		v.errorf(base+".accept_from", "%s: the key would be sent (send_from %s) before it is accepted; accept_from must not be after send_from",
			k.AcceptFrom.Format(time.RFC3339), orUnbounded(k.SendFrom))
	}
	if !k.AcceptUntil.IsZero() && (k.SendUntil.IsZero() || k.SendUntil.After(k.AcceptUntil)) {
		v.errorf(base+".accept_until", "%s: the key would still be sent (send_until %s) after it is no longer accepted; accept_until must not be before send_until",
			k.AcceptUntil.Format(time.RFC3339), orUnbounded(k.SendUntil))
	}
	return k, len(v.errs) == n
}

// orUnbounded writes t, or "unbounded" for the zero time.
func orUnbounded(t time.Time) string {
	if t.IsZero() {
		return "unbounded"
	}
	return t.Format(time.RFC3339)
}

// absPath checks a file path that must not depend on the working directory.
func (v *validator) absPath(key, s string) (string, bool) {
	switch {
	case s == "":
		v.errorf(key, "must not be empty")
	case !filepath.IsAbs(s):
		v.errorf(key, "%q is not an absolute path", s)
	default:
		return s, true
	}
	return "", false
}

// instant reads a point in time: a TOML offset date-time
// (2026-05-01T12:00:00Z) or the same written as an RFC 3339 string. A local
// date-time without an offset is refused: key windows must mean the same
// instant on every server. Absent gives the zero time.
func (v *validator) instant(key string, x any) time.Time {
	switch x := x.(type) {
	case nil:
	case time.Time:
		switch x.Location().String() {
		case "datetime-local", "date-local", "time-local":
			v.errorf(key, "a date-time without a UTC offset is ambiguous: write e.g. %sZ (UTC), or another offset such as +02:00",
				x.Format("2006-01-02T15:04:05"))
		default:
			return x
		}
	case string:
		t, err := time.Parse(time.RFC3339, x)
		if err != nil {
			v.errorf(key, "%q is not an RFC 3339 date-time with an offset (e.g. 2026-05-01T12:00:00Z)", x)
			break
		}
		return t
	default:
		v.errorf(key, "want a date-time such as 2026-05-01T12:00:00Z, got %s", describe(x))
	}
	return time.Time{}
}

// Summary describes the settings on one line, for logs: every key with
// its file and windows (never a secret: the configuration holds none).
func (a *Auth) Summary() string {
	if a == nil {
		return "off"
	}
	var keys []string
	for _, k := range a.Keys {
		s := fmt.Sprintf("key %d %v %s", k.ID, k.Algorithm, k.KeyFile)
		if !k.SendFrom.IsZero() || !k.SendUntil.IsZero() {
			s += " send " + span(k.SendFrom, k.SendUntil)
		}
		if !k.AcceptFrom.IsZero() || !k.AcceptUntil.IsZero() {
			s += " accept " + span(k.AcceptFrom, k.AcceptUntil)
		}
		keys = append(keys, s)
	}
	return fmt.Sprintf("%s; dialect %v; seq_file %s", strings.Join(keys, "; "), a.Dialect, a.SeqFile)
}

// span writes a window [from, until) with open ends as "...".
func span(from, until time.Time) string {
	end := func(t time.Time) string {
		if t.IsZero() {
			return "..."
		}
		return t.Format(time.RFC3339)
	}
	return "[" + end(from) + ", " + end(until) + ")"
}

// render writes [ospf.auth] with every key as an [[ospf.auth.key]] table.
func (a *Auth) render(b *strings.Builder) {
	kv := func(k, v string) { fmt.Fprintf(b, "%s = %s\n", k, v) }
	b.WriteString("\n[ospf.auth]\n")
	kv("dialect", tomlString(a.Dialect.String()))
	kv("seq_file", tomlString(a.SeqFile))
	for _, k := range a.Keys {
		b.WriteString("\n[[ospf.auth.key]]\n")
		kv("key_id", strconv.Itoa(int(k.ID)))
		kv("algorithm", tomlString(k.Algorithm.String()))
		kv("key_file", tomlString(k.KeyFile))
		for _, w := range []struct {
			key string
			t   time.Time
		}{
			{"send_from", k.SendFrom}, {"send_until", k.SendUntil},
			{"accept_from", k.AcceptFrom}, {"accept_until", k.AcceptUntil},
		} {
			if !w.t.IsZero() {
				kv(w.key, w.t.Format(time.RFC3339Nano))
			}
		}
	}
}
