package daemon

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// addrSet owns the service /128s the daemon put on the address interface:
// added before a service is advertised, removed some time after it was
// withdrawn (so queries routed here meanwhile are still answered), and on
// exit unless keep_addresses.
type addrSet struct {
	h      Host
	ifname string
	log    *slog.Logger

	mu    sync.Mutex
	owned map[netip.Prefix]*time.Timer // non-nil timer: removal scheduled
}

func newAddrSet(h Host, ifname string, log *slog.Logger) *addrSet {
	return &addrSet{h: h, ifname: ifname, log: log, owned: make(map[netip.Prefix]*time.Timer)}
}

// add puts p on the interface, cancelling a scheduled removal.
func (a *addrSet) add(p netip.Prefix) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t, ok := a.owned[p]; ok {
		if t != nil {
			t.Stop()
			a.owned[p] = nil
		}
		return nil
	}
	if err := a.h.AddServiceAddr(a.ifname, p); err != nil {
		return err
	}
	a.owned[p] = nil
	a.log.Info("service address added", "prefix", p, "interface", a.ifname)
	return nil
}

// removeAfter takes p off the interface after d, unless add comes first.
func (a *addrSet) removeAfter(p netip.Prefix, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	old, ok := a.owned[p]
	if !ok {
		return
	}
	if old != nil {
		old.Stop()
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.owned[p] != t {
			return
		}
		delete(a.owned, p)
		a.del(p)
	})
	a.owned[p] = t
}

// removeAll takes every owned address off the interface now.
func (a *addrSet) removeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, t := range a.owned {
		if t != nil {
			t.Stop()
		}
		delete(a.owned, p)
		a.del(p)
	}
}

// keepAll forgets the owned addresses, leaving them in place.
func (a *addrSet) keepAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, t := range a.owned {
		if t != nil {
			t.Stop()
		}
		delete(a.owned, p)
		a.log.Info("service address kept (keep_addresses)", "prefix", p, "interface", a.ifname)
	}
}

func (a *addrSet) del(p netip.Prefix) {
	if err := a.h.DelServiceAddr(a.ifname, p); err != nil {
		a.log.Error("cannot remove service address", "prefix", p, "interface", a.ifname, "err", err)
		return
	}
	a.log.Info("service address removed", "prefix", p, "interface", a.ifname)
}
