package main

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// check --host checks what run needs from this host: the interfaces
// exist, the key files are readable and private. Without --host the same
// file passes (it may be meant for another host).
func TestCheckHost(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "ospf.key")
	if err := os.WriteFile(key, []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "a.toml")
	text := "router_id = \"192.0.2.11\"\n" + svcDNS + "[ospf]\ninterface = \"lo\"\naddress_interface = \"nosuch0\"\n" +
		"[ospf.auth]\nkey_id = 1\nkey_file = \"" + key + "\"\nseq_file = \"" + filepath.Join(dir, "seq") + "\"\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI("check", "-q", "-c", cfg); code != 0 || errOut != "" {
		t.Fatalf("check without --host: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := runCLI("check", "--host", "-c", cfg)
	want := "anycostd: 2 problems in the configuration:\n" +
		cfg + ":9: ospf.address_interface: no interface \"nosuch0\" on this host\n" +
		cfg + ":12: ospf.auth.key_file: key file " + key + ": mode 0644, want 0600 or stricter, no access for group and others (chmod 600 " + key + "): authfile: unusable key file\n"
	if code != exitConfig || out != "" || errOut != want {
		t.Errorf("check --host: exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errOut, want)
	}

	os.Chmod(key, 0o600)
	// A good host: the OSPF interface is one this host has (not lo, which
	// is the default address_interface and may not be both).
	text = "router_id = \"192.0.2.11\"\n" + svcDNS + "[ospf]\ninterface = \"" + hostInterface(t) + "\"\n" +
		"[ospf.auth]\nkey_id = 1\nkey_file = \"" + key + "\"\nseq_file = \"" + filepath.Join(dir, "seq") + "\"\n"
	os.WriteFile(cfg, []byte(text), 0o644)
	if code, out, errOut := runCLI("check", "--host", "--quiet", "-c", cfg); code != 0 || out != "" || errOut != "" {
		t.Errorf("check --host on a good host: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// hostInterface names an interface of this host other than the loopback.
func hostInterface(t *testing.T) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 {
			return i.Name
		}
	}
	t.Skip("this host has no interface but the loopback")
	return ""
}

// svcDNS is a [[service]] table for configurations under test.
const svcDNS = "[[service]]\nname = \"dns\"\nprefix = \"2001:db8:53::53/128\"\nmetric = 10\ndrain_time = \"0s\"\n"
