package daemon

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/ospf/auth"
	"github.com/anycostd/anycostd/ospf/packet"
)

// writeKey writes a key file with the given mode.
func writeKey(t *testing.T, dir, name, secret string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(secret), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return p
}

func TestLoadAuth(t *testing.T) {
	dir := t.TempDir()
	good := writeKey(t, dir, "good.key", "s3cret\n", 0o600)
	good2 := writeKey(t, dir, "good2.key", "n3w", 0o400)
	open := writeKey(t, dir, "open.key", "s3cret\n", 0o644)
	parse := func(body string) config.OSPF {
		t.Helper()
		c, err := config.Parse("t.toml", []byte("router_id = \"192.0.2.11\"\n"+svcDNS+"[ospf]\ninterface = \"eth0\"\nhello_interval = \"1s\"\n"+body))
		if err != nil {
			t.Fatal(err)
		}
		return c.OSPF
	}

	if a, err := loadAuth(parse("")); a != nil || err != nil {
		t.Errorf("no [ospf.auth]: %v, %v; want nil, nil", a, err)
	}

	a, err := loadAuth(parse(`[ospf.auth]
key_id = 1
key_file = "` + good + `"
send_until = 2030-01-01T00:00:00Z
dialect = "frr8"
[[ospf.auth.key]]
key_id = 2
algorithm = "hmac-sha-512"
key_file = "` + good2 + `"
send_from = 2030-01-01T00:00:00Z
`))
	if err != nil {
		t.Fatal(err)
	}
	if a.dead != 4*time.Second || !a.noKernelChecksum() {
		t.Errorf("dead %v noKernelChecksum %v, want 4s (4 x hello) and true", a.dead, a.noKernelChecksum())
	}
	before := time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC)
	after := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at     time.Time
		wantID uint16
		secret string
	}{{before, 1, "s3cret"}, {after, 2, "n3w"}} {
		k, ok := a.kc.SendKey(tc.at)
		if !ok || k.ID != tc.wantID || string(k.Secret) != tc.secret || k.Dialect != auth.DialectFRR8 {
			t.Errorf("SendKey(%v) = %d %q %v %v, want key %d with secret %q (newline stripped), dialect frr8",
				tc.at, k.ID, k.Secret, k.Dialect, ok, tc.wantID, tc.secret)
		}
	}
	if a.kc.MaxTrailerLen() != 16+64 {
		t.Errorf("MaxTrailerLen %d, want 80", a.kc.MaxTrailerLen())
	}

	// Unusable key files: the error names the key, the path and what is wrong.
	for _, tc := range []struct {
		file string
		want []string
	}{
		{open, []string{"ospf.auth key 1", open, "mode 0644", "0600 or stricter"}},
		{filepath.Join(dir, "none.key"), []string{"ospf.auth key 1", filepath.Join(dir, "none.key"), "no such file"}},
	} {
		_, err := loadAuth(parse("[ospf.auth]\nkey_id = 1\nkey_file = \"" + tc.file + "\"\n"))
		if err == nil {
			t.Errorf("%s: no error", tc.file)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.file, err, w)
			}
		}
	}
}

func TestMergeAuthDrops(t *testing.T) {
	engine := map[string]uint64{"bad-checksum": 1, "send-error": 2}
	got := mergeAuthDrops(engine, map[string]uint64{
		auth.CountVerified: 100, auth.CountSigned: 90, auth.CountSendError: 3,
		auth.CountBadHMAC: 4, auth.CountReplay: 5, auth.CountNoTrailer: 6,
	})
	want := map[string]uint64{"bad-checksum": 1, "send-error": 2, "auth-bad-hmac": 4, "auth-replay": 5, "auth-no-trailer": 6}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(engine) != 2 {
		t.Errorf("the engine's map was changed: %v", engine)
	}
	if got := mergeAuthDrops(nil, map[string]uint64{auth.CountMalformed: 1}); got["auth-malformed"] != 1 {
		t.Errorf("merge into nil = %v", got)
	}
}

// hello is an unsigned Hello from router ID rid.
func hello(t *testing.T, rid uint32) []byte {
	t.Helper()
	b, err := packet.MarshalPacket(&packet.Hello{
		Header:        packet.Header{RouterID: rid},
		InterfaceID:   5,
		Priority:      10,
		Options:       lsa.OptV6 | lsa.OptE | lsa.OptR,
		HelloInterval: 10,
		DeadInterval:  40,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDaemonAuth runs the daemon with [ospf.auth] on fakes: the socket is
// opened without the kernel checksum, the engine gets the trailer overhead
// and a transport that signs with the key from the file, the sequence
// state is written, and packets that fail authentication are dropped,
// logged and shown in status as auth-<reason>.
func TestDaemonAuth(t *testing.T) {
	dir := t.TempDir()
	keyFile := writeKey(t, dir, "ospf.key", "s3cret\n", 0o600)
	seqFile := filepath.Join(dir, "state", "auth-seq")
	cfgPath := filepath.Join(dir, "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", `[ospf.auth]
key_id = 1
key_file = "`+keyFile+`"
dialect = "frr8"
seq_file = "`+seqFile+`"
`, svcDNS)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.host.inbound = make(chan ospf.Datagram, 8)
	})
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	td.log.Wait(t, "OSPF authentication on (RFC 7166)")
	if td.rec.index("listen eth0 no-kernel-checksum") < 0 {
		t.Errorf("socket not opened without the kernel checksum: %q", td.rec.list())
	}
	if td.sp.cfg.TrailerOverhead != 16+32 {
		t.Errorf("engine TrailerOverhead %d, want 48 (hmac-sha-256)", td.sp.cfg.TrailerOverhead)
	}
	if b, err := os.ReadFile(seqFile); err != nil || !strings.HasPrefix(string(b), "boot=1 ") {
		t.Errorf("sequence state %q, %v: want boot=1", b, err)
	}
	tr, ok := td.sp.tr.(*auth.Transport)
	if !ok {
		t.Fatalf("the engine's transport is %T, want *auth.Transport", td.sp.tr)
	}

	// Sending: signed with key 1 from the file, from the link-local address.
	frr8 := func(secret string) *auth.Keychain {
		kc, err := auth.NewKeychain(auth.Key{ID: 1, Algorithm: auth.HMACSHA256, Dialect: auth.DialectFRR8, Secret: []byte(secret)})
		if err != nil {
			t.Fatal(err)
		}
		return kc
	}
	kc := frr8("s3cret")
	ours := netip.MustParseAddr("fe80::11")
	if err := tr.WriteDatagram(ospf.AllSPFRouters, hello(t, 0xc000020b)); err != nil {
		t.Fatal(err)
	}
	td.host.tr.mu.Lock()
	sent := td.host.tr.sent
	td.host.tr.mu.Unlock()
	if len(sent) != 1 {
		t.Fatalf("%d packets on the wire, want 1", len(sent))
	}
	if trl, err := auth.Verify(sent[0], ours, kc, time.Now()); err != nil || trl.KeyID != 1 || trl.Seq>>32 != 1 {
		t.Errorf("our packet: %+v, %v; want it to verify with key 1, boot count 1", trl, err)
	}

	// Receiving: no trailer, wrong key, good, the good one again (replay).
	router := netip.MustParseAddr("fe80::1")
	good, err := auth.Append(hello(t, 0xc0000201), router, auth.Key{ID: 1, Algorithm: auth.HMACSHA256, Dialect: auth.DialectFRR8, Secret: []byte("s3cret")}, 7<<32|5)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := auth.Append(hello(t, 0xc0000201), router, auth.Key{ID: 1, Algorithm: auth.HMACSHA256, Dialect: auth.DialectFRR8, Secret: []byte("guess")}, 7<<32|6)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{hello(t, 0xc0000201), wrong, good, good} {
		td.host.inbound <- ospf.Datagram{Src: router, Dst: ospf.AllSPFRouters, HopLimit: 1, Data: b}
	}
	got := make(chan ospf.Datagram, 2)
	go func() {
		for {
			d, err := tr.ReadDatagram()
			if err != nil {
				return
			}
			got <- d
		}
	}()
	select {
	case d := <-got:
		if len(d.Data) != len(good)-48 {
			t.Errorf("handed up %d bytes, want the Hello without its 48-byte trailer (%d)", len(d.Data), len(good)-48)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the good packet was not handed up")
	}
	var st *ospf.Status
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := client(cfgPath).Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st = res.OSPF
		if st.Counters.Dropped["auth-replay"] > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := map[string]uint64{"bad-checksum": 1, "wrong-area": 2, "auth-no-trailer": 1, "auth-bad-hmac": 1, "auth-replay": 1}
	if diff := cmp.Diff(want, st.Counters.Dropped); diff != "" {
		t.Errorf("status dropped counters (-want +got):\n%s", diff)
	}
	select {
	case d := <-got:
		t.Errorf("the replayed packet was handed up: %x", d.Data)
	default:
	}
	td.log.Wait(t, `msg="dropped OSPF packet: authentication failed" reason=bad-hmac src=fe80::1`)
	td.log.Wait(t, `reason=replay`)
}

// TestDaemonAuthKeyFileRefused: a key file others may read stops the start
// before anything is touched, with an error naming the path and the mode.
func TestDaemonAuthKeyFileRefused(t *testing.T) {
	dir := t.TempDir()
	keyFile := writeKey(t, dir, "ospf.key", "s3cret\n", 0o640)
	cfgPath := filepath.Join(dir, "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "[ospf.auth]\nkey_id = 1\nkey_file = \""+keyFile+"\"\nseq_file = \""+filepath.Join(dir, "seq")+"\"\n", svcDNS)
	td := newTestDaemon(t, cfgPath, nil)
	err := td.wait()
	if err == nil || !strings.Contains(err.Error(), keyFile) || !strings.Contains(err.Error(), "mode 0640") {
		t.Fatalf("run = %v, want an error naming %s and mode 0640", err, keyFile)
	}
	if got := td.rec.list(); len(got) != 0 {
		t.Errorf("the daemon did something: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "seq")); err == nil {
		t.Error("the sequence state was written")
	}
	if _, err := os.Stat(filepath.Join(dir, "ctl", "anycostd.sock")); err == nil {
		t.Error("the control socket was created")
	}
}

// TestDaemonAuthDialectHint: with the default dialect (rfc7166) against a
// router that signs as FRR 8.4 does, the drop's log line says which
// dialect would have matched.
func TestDaemonAuthDialectHint(t *testing.T) {
	dir := t.TempDir()
	keyFile := writeKey(t, dir, "ospf.key", "s3cret", 0o600)
	cfgPath := filepath.Join(dir, "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "[ospf.auth]\nkey_id = 1\nkey_file = \""+keyFile+"\"\nseq_file = \""+filepath.Join(dir, "seq")+"\"\n", svcDNS)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.host.inbound = make(chan ospf.Datagram, 1)
	})
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	router := netip.MustParseAddr("fe80::1")
	frr8, err := auth.Append(hello(t, 0xc0000201), router, auth.Key{ID: 1, Algorithm: auth.HMACSHA256, Dialect: auth.DialectFRR8, Secret: []byte("s3cret")}, 1<<32|1)
	if err != nil {
		t.Fatal(err)
	}
	td.host.inbound <- ospf.Datagram{Src: router, Dst: ospf.AllSPFRouters, HopLimit: 1, Data: frr8}
	go td.sp.tr.ReadDatagram() // returns when the transport closes
	td.log.Wait(t, "the digest matches dialect frr8, not the configured rfc7166")
}
