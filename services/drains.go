package services

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// DrainStore keeps the manual drains across restarts. DrainState, the
// file in state_dir, is the daemon's; tests use others.
type DrainStore interface {
	// Load returns the drained services' names.
	Load() ([]string, error)
	// Save replaces what is kept with names, durably.
	Save(names []string) error
}

// DrainReport is what status shows of the manual drains.
type DrainReport struct {
	// Manual lists the services drained by `anycostd drain` (or restored
	// drained at start), in configuration order.
	Manual []string `json:"manual"`
	// Kept says where they are kept across restarts ("" : in memory only).
	Kept string `json:"kept,omitempty"`
	// Problem is the last failure to restore or save them ("" when what
	// is kept is what runs).
	Problem string `json:"problem,omitempty"`
}

// PersistDrains makes the manual drains survive restarts: Run restores
// what store holds before its first advertisement, and every drain and
// undrain of the control socket is saved before it takes effect. where
// names the store in status and logs. Call it before Run.
//
// A store that cannot be read (a corrupt or unreadable file) does not
// stop the start: every service starts drained, as the safe side of not
// knowing which ones the operator had drained; the problem is logged and
// shown in status until a drain or undrain saves a new state.
func (m *Manager) PersistDrains(store DrainStore, where string) {
	m.store, m.storeWhere = store, where
}

// restoreDrains drains, before the first decision, the services the
// store holds.
func (m *Manager) restoreDrains(now time.Time) {
	if m.store == nil {
		return
	}
	source := "restored from " + m.storeWhere
	names, err := m.store.Load()
	if err != nil {
		m.storeProblem = fmt.Sprintf("cannot restore the manual drains (%v): every service was drained at start; drain or undrain saves a new state", err)
		m.log.Error("manual drains cannot be restored: every service starts drained until `anycostd undrain`", "err", err)
		names = slices.Clone(m.order)
		source = "drain state unreadable"
	}
	for _, n := range names {
		e := m.svcs[n]
		if e == nil {
			m.log.Warn("the drain state names a service the configuration does not have; ignored", "service", n, "state", m.storeWhere)
			continue
		}
		m.manual[n] = true
		m.feed(now, e, costmodel.ManualDrain(true).WithSource(source))
		m.log.Info("service drain restored", "service", n, "source", source)
	}
}

// saveDrains writes the manual drains to the store.
func (m *Manager) saveDrains() error {
	if m.store == nil {
		return nil
	}
	var names []string
	for _, n := range m.order {
		if m.manual[n] {
			names = append(names, n)
		}
	}
	if err := m.store.Save(names); err != nil {
		m.storeProblem = fmt.Sprintf("cannot save the manual drains: %v", err)
		return err
	}
	m.storeProblem = ""
	return nil
}

// Drains reports the manual drains.
func (m *Manager) Drains(ctx context.Context) (DrainReport, error) {
	reply := make(chan DrainReport, 1)
	return call(ctx, m, evDrains{reply: reply}, reply)
}

type evDrains struct{ reply chan DrainReport }

func (m *Manager) drainReport() DrainReport {
	r := DrainReport{Manual: []string{}, Kept: m.storeWhere, Problem: m.storeProblem}
	for _, n := range m.order {
		if m.manual[n] {
			r.Manual = append(r.Manual, n)
		}
	}
	return r
}
