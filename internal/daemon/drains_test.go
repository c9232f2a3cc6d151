package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

// firstSet is the first set of services the daemon handed its instance.
func (td *testDaemon) firstSet() map[string]ospf.Service {
	td.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	td.sp.mu.Lock()
	defer td.sp.mu.Unlock()
	for len(td.sp.sets) == 0 {
		if time.Now().After(deadline) {
			td.t.Fatalf("no services set; events %q", td.rec.list())
		}
		td.sp.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		td.sp.mu.Lock()
	}
	out := map[string]ospf.Service{}
	for _, s := range td.sp.sets[0] {
		out[s.Name] = s
	}
	return out
}

// TestDaemonDrainSurvivesRestart: a service drained over the control
// socket is in state_dir when the command returns, and the next run
// starts with it withdrawn: its first wanted set already withdraws it.
// A graceful stop's own drain is not kept.
func TestDaemonDrainSurvivesRestart(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+svcNTP)
	td := newTestDaemon(t, cfgPath, nil)
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10 ntp=2001:db8:123::123/20")
	if _, err := client(cfgPath).Drain(context.Background(), "dns", true); err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(stateDir(cfgPath), services.DrainStateFile)
	if b, err := os.ReadFile(statePath); err != nil || string(b) != `{"version":1,"drained":["dns"]}`+"\n" {
		t.Fatalf("state after drain: %q, %v", b, err)
	}
	st, err := client(cfgPath).Status(context.Background())
	if err != nil || st.Drains == nil || strings.Join(st.Drains.Manual, ",") != "dns" || st.Drains.Kept != statePath {
		t.Errorf("status drains = %+v, %v", st.Drains, err)
	}
	td.sigs <- syscall.SIGTERM
	if err := td.wait(); err != nil {
		t.Fatal(err)
	}

	td2 := newTestDaemon(t, cfgPath, nil)
	first := td2.firstSet()
	if !first["dns"].Withdraw || first["ntp"].Withdraw {
		t.Errorf("first set after restart = %+v; want dns withdrawn, ntp advertised", first)
	}
	td2.log.Wait(t, `msg="service drain restored" service=dns`)
}

// TestDaemonDrainStateCorrupt: a corrupt drain state does not stop the
// start: every service starts withdrawn, the log and status say why.
func TestDaemonDrainStateCorrupt(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "anycostd.toml")
	daemonConfig(t, cfgPath, "192.0.2.11", "", svcDNS+svcNTP)
	statePath := filepath.Join(stateDir(cfgPath), services.DrainStateFile)
	if err := os.MkdirAll(filepath.Dir(statePath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(statePath, []byte(`{"version":1,"drai`), 0o644); err != nil {
		t.Fatal(err)
	}
	td := newTestDaemon(t, cfgPath, nil)
	first := td.firstSet()
	if !first["dns"].Withdraw || !first["ntp"].Withdraw {
		t.Errorf("first set = %+v; want every service withdrawn", first)
	}
	td.log.Wait(t, "manual drains cannot be restored: every service starts drained until `anycostd undrain`")
	st, err := client(cfgPath).Status(context.Background())
	if err != nil || st.Drains == nil || !strings.Contains(st.Drains.Problem, "not a drain state: unexpected EOF") {
		t.Errorf("status drains = %+v, %v", st.Drains, err)
	}
	// undrain --all lets them back and saves a good state.
	if _, err := client(cfgPath).Drain(context.Background(), "", false); err != nil {
		t.Fatal(err)
	}
	td.rec.waitFor(t, "services dns=2001:db8:53::53/10 ntp=2001:db8:123::123/20")
	if b, err := os.ReadFile(statePath); err != nil || string(b) != `{"version":1,"drained":[]}`+"\n" {
		t.Errorf("state after undrain: %q, %v", b, err)
	}
}
