package services

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/config"
)

// memStore is a DrainStore in memory; loadErr and saveErr make it fail.
type memStore struct {
	mu      sync.Mutex
	names   []string
	loadErr error
	saveErr error
	saves   int
}

func (s *memStore) Load() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.names), s.loadErr
}

func (s *memStore) Save(names []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves++
	if s.saveErr != nil {
		return s.saveErr
	}
	s.names, s.loadErr = slices.Clone(names), nil
	return nil
}

func (s *memStore) kept() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.names), s.saves
}

// startKept starts a manager whose drains store keeps.
func startKept(t *testing.T, store DrainStore, svcs ...config.Service) (*Manager, *fakeAdvertiser) {
	t.Helper()
	adv, in := &fakeAdvertiser{}, &fakeInputs{}
	m, err := New(svcs, paced(time.Millisecond, time.Millisecond), adv, in, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m.PersistDrains(store, "/state/drains.json")
	ctx, cancel := context.WithCancel(context.Background())
	go m.Run(ctx)
	t.Cleanup(func() { cancel(); <-m.done })
	return m, adv
}

// first returns the first wanted set the manager handed over.
func (f *fakeAdvertiser) first(t *testing.T) map[string]Wanted {
	t.Helper()
	eventually(t, "a first advertisement", func() bool { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sets) > 0 })
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]Wanted{}
	for _, w := range f.sets[0] {
		out[w.Name] = w
	}
	return out
}

var dnsNTP = []config.Service{svc("dns", "2001:db8:53::53", 10), svc("ntp", "2001:db8:123::123", 20)}

// TestDrainsRestoredBeforeFirstAdvertisement: a service the store holds
// drained is withdrawn in the very first wanted set (never advertised,
// not even for a moment), the others advertised; status reports it.
func TestDrainsRestoredBeforeFirstAdvertisement(t *testing.T) {
	store := &memStore{names: []string{"dns", "gone"}}
	m, adv := startKept(t, store, dnsNTP...)
	first := adv.first(t)
	if !first["dns"].Withdraw || first["ntp"].Withdraw {
		t.Errorf("first wanted set = %+v; want dns withdrawn, ntp advertised", first)
	}
	r, err := m.Drains(context.Background())
	want := DrainReport{Manual: []string{"dns"}, Kept: "/state/drains.json"}
	if err != nil || !cmp.Equal(r, want) {
		t.Errorf("Drains = %+v, %v; want %+v", r, err, want)
	}
	ex, _ := m.Explain(context.Background(), "dns")
	if len(ex) != 1 || !strings.Contains(ex[0].WantedReason, "restored from /state/drains.json") {
		t.Errorf("explanation does not say where the drain came from: %+v", ex)
	}
	// Undrain: saved, then advertised.
	if err := m.Drain(context.Background(), "dns", false); err != nil {
		t.Fatal(err)
	}
	if kept, _ := store.kept(); len(kept) != 0 {
		t.Errorf("kept after undrain = %v, want none (the unknown \"gone\" is dropped)", kept)
	}
	eventually(t, "dns advertised after undrain", func() bool { return !adv.last()["dns"].Withdraw })
}

// TestDrainsSaved: the control socket's drain and undrain are saved, the
// shutdown's drain is not (a stop is not an operator's drain).
func TestDrainsSaved(t *testing.T) {
	store := &memStore{}
	m, adv := startKept(t, store, dnsNTP...)
	ctx := context.Background()
	if err := m.Drain(ctx, "ntp", true); err != nil {
		t.Fatal(err)
	}
	if kept, _ := store.kept(); !cmp.Equal(kept, []string{"ntp"}) {
		t.Errorf("kept = %v, want [ntp]", kept)
	}
	if err := m.Drain(ctx, "", true); err != nil {
		t.Fatal(err)
	}
	if kept, _ := store.kept(); !cmp.Equal(kept, []string{"dns", "ntp"}) {
		t.Errorf("kept after drain --all = %v", kept)
	}
	if err := m.Drain(ctx, "", false); err != nil {
		t.Fatal(err)
	}
	_, saves := store.kept()
	eventually(t, "advertised", func() bool { return !adv.last()["dns"].Withdraw })
	if _, err := m.DrainForShutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if kept, n := store.kept(); len(kept) != 0 || n != saves {
		t.Errorf("the shutdown's drain was saved: kept %v, %d saves (want %d)", kept, n, saves)
	}
	// A service removed by reload leaves the store.
	if err := m.Drain(ctx, "ntp", true); err != nil {
		t.Fatal(err)
	}
	if err := m.Update(ctx, dnsNTP[:1]); err != nil {
		t.Fatal(err)
	}
	if kept, _ := store.kept(); len(kept) != 0 {
		t.Errorf("kept after ntp was removed = %v", kept)
	}
}

// TestDrainsUnreadable: a store that cannot be read does not stop the
// start; every service starts drained (the safe side of not knowing),
// status says why, and an undrain saves a state the next start reads.
func TestDrainsUnreadable(t *testing.T) {
	store := &memStore{loadErr: errors.New("drain state /state/drains.json: not a drain state: unexpected EOF")}
	m, adv := startKept(t, store, dnsNTP...)
	first := adv.first(t)
	if !first["dns"].Withdraw || !first["ntp"].Withdraw {
		t.Errorf("first wanted set = %+v; want every service withdrawn", first)
	}
	ctx := context.Background()
	r, _ := m.Drains(ctx)
	if !cmp.Equal(r.Manual, []string{"dns", "ntp"}) || !strings.Contains(r.Problem, "unexpected EOF") || !strings.Contains(r.Problem, "every service was drained at start") {
		t.Errorf("Drains = %+v", r)
	}
	if err := m.Drain(ctx, "dns", false); err != nil {
		t.Fatal(err)
	}
	r, _ = m.Drains(ctx)
	if kept, _ := store.kept(); !cmp.Equal(kept, []string{"ntp"}) || r.Problem != "" {
		t.Errorf("after undrain dns: kept %v, report %+v; want [ntp] and no problem", kept, r)
	}
	eventually(t, "dns advertised", func() bool { return !adv.last()["dns"].Withdraw })
}

// TestDrainNotSaved: a drain that cannot be saved still takes effect;
// the error and status say it will not survive a restart.
func TestDrainNotSaved(t *testing.T) {
	store := &memStore{saveErr: errors.New("drain state /state/drains.json: read-only file system")}
	m, adv := startKept(t, store, dnsNTP...)
	ctx := context.Background()
	err := m.Drain(ctx, "dns", true)
	if err == nil || !strings.Contains(err.Error(), "applied, but not saved, so a restart will not keep it") || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Drain = %v", err)
	}
	eventually(t, "dns withdrawn anyway", func() bool { return adv.last()["dns"].Withdraw })
	if r, _ := m.Drains(ctx); !strings.Contains(r.Problem, "cannot save the manual drains") {
		t.Errorf("Drains = %+v", r)
	}
}
