package daemon

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/control"
)

// routerTOML is a router configuration with extra lines in [router].
func routerTOML(sock, routerID, router string) string {
	return `router_id = "` + routerID + `"
control_socket = "` + sock + `"
[ospf]
interface = "eth0"
[router]
server_ifindex = 7
server_dr = "192.0.2.1"
` + router
}

// TestRouterReload: SIGHUP reloads `anycostd router`'s configuration.
// The weight bounds, the prefix set and the distance apply at once (the
// backend sees them); keys that need a restart are refused by name, the
// rest of the file applies; an invalid file is refused whole with its
// file:line, the agent runs on as it was, and `router status` says when
// the configuration was loaded and that the last reload failed.
func TestRouterReload(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "router.sock")
	path := filepath.Join(dir, "router.toml")
	h := startRouter(t, path, routerTOML(sock, "192.0.2.2", "prefixes = [\"2001:db8:53::53/128\"]\n"))
	h.rec.waitFor(t, "route 2001:db8:53::53/128 via fe80::11 weight 128, fe80::12 weight 255, fe80::13 weight 64")
	status := func() *control.RouterStatus {
		t.Helper()
		st, err := control.Client{Path: sock}.RouterStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	started := status().Config
	if started.Path != path || started.Loaded.IsZero() || !started.LastReload.IsZero() {
		t.Errorf("config at start: %+v", started)
	}
	reload := func(body string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		n := status().Config.Reloads
		h.sigs <- syscall.SIGHUP
		deadline := time.Now().Add(5 * time.Second)
		for status().Config.Reloads == n {
			if time.Now().After(deadline) {
				t.Fatal("no reload 5 s after SIGHUP")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	// The distance and the weight bounds.
	reload(routerTOML(sock, "192.0.2.2", "prefixes = [\"2001:db8:53::53/128\"]\ndistance = 50\nmax_weight = 100\n"))
	h.rec.waitFor(t, "preference 100 -> 50")
	h.rec.waitFor(t, "route 2001:db8:53::53/128 via fe80::11 weight 50, fe80::12 weight 100, fe80::13 weight 25")
	h.log.Wait(t, `msg="reload: setting applied" key=router.distance old=100 new=50`)
	h.log.Wait(t, `msg="reload: setting applied" key=router.max_weight old=255 new=100`)
	if st := status(); st.Config.Error != "" || len(st.Config.Refused) != 0 || !st.Config.Loaded.After(started.Loaded) {
		t.Errorf("config after a good reload: %+v", st.Config)
	}

	// The prefix set: the DNS prefix left out, its route goes.
	reload(routerTOML(sock, "192.0.2.2", "prefixes = [\"2001:db8:54::54/128\"]\ndistance = 50\nmax_weight = 100\n"))
	h.rec.waitFor(t, "route removed 2001:db8:53::53/128")

	// Keys that need a restart are refused by name; the other change
	// (the prefix back) applies.
	reload(routerTOML(sock, "192.0.2.9", "backend = \"kernel\"\nmax_weight = 256\ndistance = 50\nkernel_lease = \"3s\"\nkernel_netns = \"/proc/1/ns/net\"\n"))
	h.rec.waitFor(t, "route 2001:db8:53::53/128 via fe80::11 weight 50, fe80::12 weight 100, fe80::13 weight 25")
	for _, key := range []string{"router_id", "router.backend", "router.max_weight", "router.kernel_lease", "router.kernel_netns"} {
		h.log.Wait(t, `msg="reload: setting needs a restart, not applied; the running value stays" key=`+key+" ")
	}
	h.log.Wait(t, `why="zebra keeps weights up to 255; the kernel backend needs a restart"`)
	st := status()
	if slices.Sort(st.Config.Refused); !slices.Equal(st.Config.Refused, []string{"router.backend", "router.kernel_lease", "router.kernel_netns", "router.max_weight", "router_id"}) || st.Config.Error != "" {
		t.Errorf("config after a partly refused reload: %+v", st.Config)
	}
	if st.Agent.RouterID != "192.0.2.2" || st.Backend != "zebra" {
		t.Errorf("the refused keys changed: router ID %s, backend %s", st.Agent.RouterID, st.Backend)
	}

	// An invalid file: refused whole, with its line.
	before := status().Config
	events := len(h.rec.list())
	reload(routerTOML(sock, "192.0.2.2", "distance = 110\n"))
	h.log.Wait(t, `level=ERROR msg="reload: invalid configuration; the running one is kept"`)
	h.log.Wait(t, path+":8: router.distance: 110 is out of range 1..109")
	after := status().Config
	if !strings.Contains(after.Error, path+":8: router.distance") || after.Failed != 1 || !after.Loaded.Equal(before.Loaded) {
		t.Errorf("config after an invalid file: %+v (before %+v)", after, before)
	}
	if got := h.rec.list()[events:]; len(got) != 0 {
		t.Errorf("the invalid file changed the agent: %v", got)
	}

	// A good file again: the error is gone from the status.
	reload(routerTOML(sock, "192.0.2.2", "distance = 50\nmax_weight = 100\n"))
	if c := status().Config; c.Error != "" || c.Failed != 1 || c.Reloads != 5 {
		t.Errorf("config after a good reload again: %+v", c)
	}
	h.stop(t)
}

// A reload while the agent restarts (zebra closed the connection) is
// what the next agent starts from: its backend is built with the new
// distance, its weights with the new bound.
func TestRouterReloadWhileRestarting(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "router.sock")
	path := filepath.Join(dir, "router.toml")
	h := startRouter(t, path, routerTOML(sock, "192.0.2.2", ""))
	h.rec.waitFor(t, "route 2001:db8:53::53/128 via fe80::11 weight 128, fe80::12 weight 255, fe80::13 weight 64")
	h.be.hangUp()
	h.log.Wait(t, "zebra closed the connection; the agent starts again")
	if err := os.WriteFile(path, []byte(routerTOML(sock, "192.0.2.2", "distance = 50\nmax_weight = 100\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	h.sigs <- syscall.SIGHUP
	h.log.Wait(t, `msg="reload: setting applied" key=router.max_weight old=255 new=100`)
	h.rec.waitFor(t, "backend zebra distance 50")
	h.rec.waitFor(t, "route 2001:db8:53::53/128 via fe80::11 weight 50, fe80::12 weight 100, fe80::13 weight 25")
	if n := h.rec.count("preference 100 -> 50"); n != 0 {
		t.Errorf("the reload reached an agent (%d preference changes); it should have waited for the next", n)
	}
	h.stop(t)
}
