package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/ospf/auth"
)

// TestAuth covers the accepted forms of [ospf.auth] and their defaults.
func TestAuth(t *testing.T) {
	const head = "router_id = \"192.0.2.11\"\n" + serviceTOML + "[ospf]\ninterface = \"eth0\"\n"
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		name, body string
		want       *Auth
	}{
		{"no table", "", nil},
		{"one key, defaults", "[ospf.auth]\nkey_id = 1\nkey_file = \"/etc/anycostd/ospf.key\"\n", &Auth{
			Dialect: auth.DialectRFC7166,
			SeqFile: "/var/lib/anycostd/auth-seq",
			Keys:    []AuthKey{{ID: 1, Algorithm: auth.HMACSHA256, KeyFile: "/etc/anycostd/ospf.key"}},
		}},
		{"key tables only", `[ospf.auth]
dialect = "FRR8"
seq_file = "/var/lib/x/seq"
[[ospf.auth.key]]
key_id = 0
algorithm = "HMAC-SHA-1"
key_file = "/k0"
[[ospf.auth.key]]
key_id = 65535
algorithm = "hmac-sha-512"
key_file = "/k1"
send_from = "2026-07-01T02:00:00+02:00"
accept_from = 2026-06-30T00:00:00Z
`, &Auth{
			Dialect: auth.DialectFRR8,
			SeqFile: "/var/lib/x/seq",
			Keys: []AuthKey{
				{ID: 0, Algorithm: auth.HMACSHA1, KeyFile: "/k0"},
				{ID: 65535, Algorithm: auth.HMACSHA512, KeyFile: "/k1",
					SendFrom: utc("2026-07-01T00:00:00Z"), AcceptFrom: utc("2026-06-30T00:00:00Z")},
			},
		}},
		{"table key first, then the array", `[ospf.auth]
key_id = 7
algorithm = "hmac-sha-384"
key_file = "/old"
send_until = 2026-07-01T00:00:00Z
accept_until = 2026-07-01T00:10:00Z
[[ospf.auth.key]]
key_id = 2
key_file = "/new"
send_from = 2026-07-01T00:00:00Z
`, &Auth{
			Dialect: auth.DialectRFC7166,
			SeqFile: "/var/lib/anycostd/auth-seq",
			Keys: []AuthKey{
				{ID: 7, Algorithm: auth.HMACSHA384, KeyFile: "/old",
					SendUntil: utc("2026-07-01T00:00:00Z"), AcceptUntil: utc("2026-07-01T00:10:00Z")},
				{ID: 2, Algorithm: auth.HMACSHA256, KeyFile: "/new", SendFrom: utc("2026-07-01T00:00:00Z")},
			},
		}},
		{"inline table", "[ospf.auth]\nkey = [{ key_id = 3, key_file = \"/k\" }]\n", &Auth{
			Dialect: auth.DialectRFC7166,
			SeqFile: "/var/lib/anycostd/auth-seq",
			Keys:    []AuthKey{{ID: 3, Algorithm: auth.HMACSHA256, KeyFile: "/k"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.toml", []byte(head+tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.OSPF.Auth); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			again, err := Parse("rendered.toml", []byte(c.String()))
			if err != nil {
				t.Fatalf("rendered config does not parse: %v\n%s", err, c)
			}
			if diff := cmp.Diff(c.OSPF.Auth, again.OSPF.Auth); diff != "" {
				t.Errorf("rendered config reads back different (-first +again):\n%s\n%s", diff, c)
			}
		})
	}
}

// TestAuthSummary: the log line names keys and files, never secrets (the
// config holds none).
func TestAuthSummary(t *testing.T) {
	c, err := Load(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	const want = "key 1 hmac-sha-256 /etc/anycostd/ospf.key send [2027-01-01T00:00:00Z, 2027-07-01T00:00:00Z) accept [2027-01-01T00:00:00Z, 2027-07-02T00:00:00Z); " +
		"key 2 hmac-sha-256 /etc/anycostd/ospf.key.2 send [2027-07-01T00:00:00Z, 2028-01-01T00:00:00+01:00) accept [2027-06-30T00:00:00Z, 2028-01-02T00:00:00Z); " +
		"dialect frr8; seq_file /var/lib/anycostd/auth-seq"
	if got := c.OSPF.Auth.Summary(); got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	var none *Auth
	if got := none.Summary(); got != "off" {
		t.Errorf("nil Summary = %q, want off", got)
	}
	if s := c.String(); !strings.Contains(s, "[ospf.auth]\n") || strings.Count(s, "[[ospf.auth.key]]") != 2 {
		t.Errorf("rendered reference lacks the auth tables:\n%s", s)
	}
}
