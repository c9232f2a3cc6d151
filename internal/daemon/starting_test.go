package daemon

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDaemonAnswersWhileStarting: while the daemon waits for its
// interface, the control socket answers at once: status says what the
// start waits for, the other commands that the daemon is starting. Once
// the interface is there, the same socket answers from the running
// daemon.
func TestDaemonAnswersWhileStarting(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS)
	td := newTestDaemon(t, cfgPath, func(td *testDaemon) {
		td.host.link.Name = "eth9" // eth0 does not exist yet
	})
	td.log.Wait(t, "waiting for the interface")

	c := client(cfgPath)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatalf("status while starting: %v", err)
	}
	if want := "waiting for interface eth0 (no such interface)"; st.Starting != want || st.OSPF != nil || len(st.Services) != 0 {
		t.Errorf("status while starting = %+v, want only Starting %q", st, want)
	}
	for name, call := range map[string]func() error{
		"lsdb":      func() error { _, err := c.LSDB(ctx); return err },
		"neighbors": func() error { _, err := c.Neighbors(ctx); return err },
		"drain":     func() error { _, err := c.Drain(ctx, "dns", true); return err },
		"cost":      func() error { _, err := c.Explain(ctx, ""); return err },
	} {
		err := call()
		if err == nil || !strings.Contains(err.Error(), ": "+name+": anycostd is starting: waiting for interface eth0 (no such interface)") {
			t.Errorf("%s while starting: %v, want the daemon's word that it is starting", name, err)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("the answers took the whole timeout")
	}

	td.host.mu.Lock()
	td.host.link.Name = "eth0"
	td.host.mu.Unlock()
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10")
	st, err = c.Status(context.Background())
	if err != nil || st.Starting != "" || st.OSPF == nil {
		t.Errorf("status once running = %+v, %v", st, err)
	}
}
