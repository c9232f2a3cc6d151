package agent

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// announcingSource is a fakeSource that records what the agent announces.
type announcingSource struct {
	fakeSource
	amu  sync.Mutex
	sent [][]netip.Prefix
}

func (a *announcingSource) Announce(p []netip.Prefix) error {
	a.amu.Lock()
	defer a.amu.Unlock()
	a.sent = append(a.sent, slices.Clone(p))
	return nil
}

func (a *announcingSource) history() [][]netip.Prefix {
	a.amu.Lock()
	defer a.amu.Unlock()
	return slices.Clone(a.sent)
}

// The agent announces a prefix once it has a route for it, no longer once
// the route is gone (no member left), and nothing after it stops.
func TestAgentAnnouncesWeighedPrefixes(t *testing.T) {
	src := &announcingSource{fakeSource: fakeSource{changed: make(chan struct{})}}
	be := &fakeBackend{routes: map[netip.Prefix]Route{}}
	a, ctx, cancel, errc := runAgent(t, src, be)
	waitFor := func(what string, ok func([]netip.Prefix) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			h := src.history()
			if len(h) > 0 && ok(h[len(h)-1]) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: announced %v", what, h)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	f := newFarmLSDB(t, 2)
	src.put(f.snapshot())
	waitFor("route installed", func(p []netip.Prefix) bool { return slices.Equal(p, []netip.Prefix{dnsPrefix}) })
	if st, err := a.Status(ctx); err != nil || !slices.Equal(st.Announced, []netip.Prefix{dnsPrefix}) {
		t.Errorf("status announces %v (%v), want the prefix", st.Announced, err)
	}
	delete(f.raws, "iap/11")
	delete(f.raws, "iap/12")
	src.put(f.snapshot())
	waitFor("no member left", func(p []netip.Prefix) bool { return len(p) == 0 })
	src.put(newFarmLSDB(t, 2).snapshot())
	waitFor("members back", func(p []netip.Prefix) bool { return len(p) == 1 })
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	h := src.history()
	if last := h[len(h)-1]; len(last) != 0 {
		t.Errorf("after the stop the agent announces %v", last)
	}
	if !slices.Equal(h[0], []netip.Prefix{dnsPrefix}) || len(h) != 4 {
		t.Errorf("announcements %v, want [dns] [] [dns] []", h)
	}
}
