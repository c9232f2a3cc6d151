package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/costmodel"
)

// minimalTOML is a valid configuration with one service.
const minimalTOML = "router_id = \"192.0.2.11\"\n[ospf]\ninterface = \"eth0\"\n" + serviceTOML

// Issue 16 D4: Load reads regular files only, and no more than
// MaxFileSize of them, whatever the path leads to; each refusal comes at
// once.
func TestLoadFileKinds(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.toml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, []byte(minimalTOML+"# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.toml")
	if err := os.WriteFile(good, []byte(minimalTOML), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.toml")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{zero, "config: " + zero + ": not a regular file (a character device)"},
		{fifo, "config: " + fifo + ": not a regular file (a named pipe)"},
		{dir, "config: " + dir + ": not a regular file (a directory)"},
		{big, fmt.Sprintf("config: %s: %d bytes, larger than the %d a configuration may have", big, len(minimalTOML)+MaxFileSize+3, MaxFileSize)},
	} {
		// Before the check, /dev/zero was read until the memory ran out
		// and the FIFO's open blocked: the test timed out.
		_, err := Load(tc.path)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Load(%s) = %v, want %q", tc.path, err, tc.want)
		}
		if AsErrors(err) != nil {
			t.Errorf("Load(%s): %v is a content problem, want a file problem", tc.path, err)
		}
	}
	if _, err := Load(link); err != nil {
		t.Errorf("Load(symlink to a regular file) = %v", err)
	}
}

// Issue 16 D5: a long value is cut in the message, which says how long
// it was; keys too.
func TestLongValuesCut(t *testing.T) {
	long := strings.Repeat("é", 5<<20) // 10 MiB, two bytes a rune
	for _, tc := range []struct {
		name, text, want string
	}{
		{"value", strings.Replace(minimalTOML, `"eth0"`, `"`+long+`"`, 1),
			`t.toml:3: ospf.interface: "` + strings.Repeat("é", 32) + `"... (10485760 bytes) is not an interface name`},
		{"wrong type", strings.Replace(minimalTOML, `"192.0.2.11"`, `["`+long+`"]`, 1),
			`t.toml:1: router_id: want a string, got an array`},
		{"string for a number", strings.Replace(minimalTOML, `interface = "eth0"`, `interface = "eth0"`+"\ninterface_cost = \""+long+`"`, 1),
			`t.toml:4: ospf.interface_cost: want an integer, got string "` + strings.Repeat("é", 32) + `"... (10485760 bytes)`},
		{"unknown key", minimalTOML + "k" + strings.Repeat("x", 1000) + " = 1\n",
			`t.toml:7: service[0].k` + strings.Repeat("x", 116) + `... (1012 bytes): unknown key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.toml", []byte(tc.text))
			if err == nil {
				t.Fatal("accepted")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

// More than MaxServices services are refused with one error, not one per
// service.
func TestServiceLimit(t *testing.T) {
	services := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "[[service]]\nname = \"s%d\"\nprefix = \"2001:db8:%x::1/128\"\n", i, i)
		}
		return b.String()
	}
	head := "router_id = \"192.0.2.11\"\n[ospf]\ninterface = \"eth0\"\n"
	if _, err := Parse("t.toml", []byte(head+services(MaxServices))); err != nil {
		t.Fatalf("%d services: %v", MaxServices, err)
	}
	_, err := Parse("t.toml", []byte(head+services(20000)))
	want := fmt.Sprintf("t.toml:%d: service[%d]: 20000 services: at most %d", 4+3*MaxServices, MaxServices, MaxServices)
	if err == nil || err.Error() != want {
		t.Errorf("20000 services: %v, want %q", err, want)
	}
}

// MaxLoad is the cost model's ceiling of the load figure.
func TestMaxLoad(t *testing.T) {
	if MaxLoad != costmodel.MaxLoad {
		t.Errorf("config.MaxLoad %g, costmodel.MaxLoad %g", MaxLoad, costmodel.MaxLoad)
	}
}

// Issue 16: a configuration whose stop may outlast stop_timeout (the
// unit's TimeoutStopSec) is refused, at the key that makes it long, with
// the sum, the limit and what to do; raising stop_timeout admits it.
func TestStopTime(t *testing.T) {
	c, err := Parse("t.toml", []byte(minimalTOML))
	if err != nil {
		t.Fatal(err)
	}
	// 3s drain + 2 x 1.1s pacing + 5s + 5s flush + 5s.
	if got := c.StopTime(); got != 20200*time.Millisecond {
		t.Errorf("StopTime with the defaults = %v, want 20.2s", got)
	}
	if c.StopTimeout != DefaultStopTimeout {
		t.Errorf("StopTimeout with the defaults = %v, want %v", c.StopTimeout, DefaultStopTimeout)
	}
	long := minimalTOML + "drain_time = \"10s\"\n[[service]]\nname = \"b\"\nprefix = \"2001:db8::b/128\"\ndrain_time = \"20s\"\n"
	msg := func(stop, drain, flush, limit, raise string) string {
		return "a stop may take up to " + stop + " (the longest drain_time " + drain + " + 2 x pacing 1.1s + 5s, then flush_timeout " + flush + " + 5s), " +
			"above stop_timeout " + limit + " (the unit's TimeoutStopSec, contrib/anycostd.service): systemd would kill anycostd before it flushes; " +
			"shorten drain_time or flush_timeout, or raise TimeoutStopSec to at least " + raise + " (a drop-in) and stop_timeout with it"
	}
	for _, tc := range []struct {
		name, text string
		want       []string // problems; none: accepted
	}{
		{"defaults", minimalTOML, nil},
		{"the longest drain_time", long, []string{"t.toml:11: service[1].drain_time: " + msg("37.2s", "20s", "5s", "30s", "38s")}},
		{"stop_timeout raised", "stop_timeout = \"40s\"\n" + long, nil},
		{"stop_timeout raised too little", "stop_timeout = \"35s\"\n" + long, []string{"t.toml:12: service[1].drain_time: " + msg("37.2s", "20s", "5s", "35s", "38s")}},
		{"flush_timeout, the drain a default", "router_id = \"192.0.2.11\"\n[ospf]\ninterface = \"eth0\"\nflush_timeout = \"1m\"\n" + serviceTOML,
			[]string{"t.toml:4: ospf.flush_timeout: " + msg("1m15.2s", "3s", "1m", "30s", "1m16s")}},
		{"stop_timeout below the defaults", "stop_timeout = \"15s\"\n" + minimalTOML, []string{"t.toml:1: stop_timeout: " + msg("20.2s", "3s", "5s", "15s", "21s")}},
		{"stop_timeout out of range", "stop_timeout = \"2h\"\n" + minimalTOML, []string{"t.toml:1: stop_timeout: 2h is out of range 10s..1h"}},
		// No second, false error: an invalid drain_time is not replaced
		// by its default in the sum.
		{"a bad drain_time alone", minimalTOML + "drain_time = \"1h\"\n", []string{"t.toml:7: service[0].drain_time: 1h is above the maximum 10m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.toml", []byte(tc.text))
			var got []string
			for _, e := range AsErrors(err) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeHost is a Host with the given interfaces and key file problems.
type fakeHost struct {
	ifaces  map[string]bool
	keyErrs map[string]error
}

func (h fakeHost) InterfaceExists(name string) (bool, error) { return h.ifaces[name], nil }
func (h fakeHost) CheckKeyFile(path string) error            { return h.keyErrs[path] }

// LoadOnHost reports what run would fail on, in the file:line: key: form.
func TestLoadOnHost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.toml")
	text := `router_id = "192.0.2.11"
[ospf]
interface = "eth0"
address_interface = "dummy0"
[ospf.auth]
key_id = 1
key_file = "/etc/anycostd/a.key"
[[ospf.auth.key]]
key_id = 2
key_file = "/etc/anycostd/b.key"
[nd]
interface = "eth1"
` + serviceTOML
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	h := fakeHost{
		ifaces:  map[string]bool{"eth0": true, "eth1": false},
		keyErrs: map[string]error{"/etc/anycostd/b.key": errors.New("key file /etc/anycostd/b.key: mode 0644, want 0600")},
	}
	_, err := LoadOnHost(path, h)
	var got []string
	for _, e := range AsErrors(err) {
		got = append(got, strings.TrimPrefix(e.Error(), path))
	}
	want := []string{
		`:4: ospf.address_interface: no interface "dummy0" on this host`,
		`:10: ospf.auth.key[0].key_file: key file /etc/anycostd/b.key: mode 0644, want 0600`,
		`:12: nd.interface: no interface "eth1" on this host`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("host problems (-want +got):\n%s", diff)
	}

	h.ifaces["eth1"], h.ifaces["dummy0"] = true, true
	delete(h.keyErrs, "/etc/anycostd/b.key")
	if _, err := LoadOnHost(path, h); err != nil {
		t.Errorf("on a host with everything: %v", err)
	}
	// Without a host, no host check.
	if _, err := LoadOnHost(path, nil); err != nil {
		t.Errorf("LoadOnHost(nil host): %v", err)
	}
}
