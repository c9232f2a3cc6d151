package services

import (
	"context"
	"fmt"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
)

// call sends ev to Run and waits for its reply.
func call[T any](ctx context.Context, m *Manager, ev any, reply chan T) (T, error) {
	var zero T
	select {
	case m.events <- ev:
	case <-m.done:
		return zero, fmt.Errorf("service manager stopped")
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case r := <-reply:
		return r, nil
	case <-m.done:
		return zero, fmt.Errorf("service manager stopped")
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Update applies a reloaded configuration: removed services are
// withdrawn and their monitors stopped, new ones start, changed ones get
// a new model that starts from the old one's recent samples.
func (m *Manager) Update(ctx context.Context, svcs []config.Service) error {
	for _, s := range svcs {
		if _, err := m.params(s); err != nil {
			return err
		}
	}
	reply := make(chan error, 1)
	err, cerr := call(ctx, m, evUpdate{svcs: svcs, reply: reply}, reply)
	if cerr != nil {
		return cerr
	}
	return err
}

// Drain raises the named service (every service for "") to its drain
// state (on) or lets it back (off), as `anycostd drain` does. With a
// store (PersistDrains) the new state is saved first; if that fails the
// drain or undrain still takes effect, and the error says it will not
// survive a restart.
func (m *Manager) Drain(ctx context.Context, name string, on bool) error {
	return m.sendDrain(ctx, name, on, true)
}

func (m *Manager) sendDrain(ctx context.Context, name string, on, manual bool) error {
	reply := make(chan error, 1)
	err, cerr := call(ctx, m, evDrain{name: name, on: on, manual: manual, reply: reply}, reply)
	if cerr != nil {
		return cerr
	}
	return err
}

// Explain returns how the named service's metric came about (every
// service for "").
func (m *Manager) Explain(ctx context.Context, name string) ([]costmodel.Explanation, error) {
	reply := make(chan explainReply, 1)
	r, err := call(ctx, m, evExplain{name: name, reply: reply}, reply)
	if err != nil {
		return nil, err
	}
	return r.list, r.err
}

func (m *Manager) update(now time.Time, svcs []config.Service) error {
	next := make(map[string]config.Service, len(svcs))
	m.order = m.order[:0]
	for _, s := range svcs {
		next[s.Name] = s
		m.order = append(m.order, s.Name)
	}
	forgot := false
	for name, e := range m.svcs {
		if _, ok := next[name]; !ok {
			e.stop()
			delete(m.svcs, name)
			m.log.Info("service removed", "service", name)
			if m.manual[name] {
				delete(m.manual, name)
				forgot = true
			}
		}
	}
	if forgot {
		if err := m.saveDrains(); err != nil {
			m.log.Error("manual drains not saved after a service was removed", "err", err)
		}
	}
	for _, s := range svcs {
		old := m.svcs[s.Name]
		switch {
		case old == nil:
			m.add(now, s)
			m.log.Info("service added", "service", s.Name, "prefix", s.Prefix)
		case !sameService(old.cfg, s):
			old.stop()
			drained := old.drained
			m.add(now, s, old.recent)
			if drained {
				m.feed(now, m.svcs[s.Name], costmodel.ManualDrain(true).WithSource("control socket"))
			}
			m.svcs[s.Name].advert = old.advert
			m.log.Info("service reconfigured", "service", s.Name)
		}
	}
	m.decide(now, true)
	return nil
}

// sameService reports whether two configs of a service are equal.
func sameService(a, b config.Service) bool {
	return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

func (m *Manager) drain(now time.Time, name string, on, manual bool) error {
	var targets []*entry
	if name == "" {
		for _, n := range m.order {
			targets = append(targets, m.svcs[n])
		}
	} else if e := m.svcs[name]; e != nil {
		targets = append(targets, e)
	} else {
		return fmt.Errorf("%w %q (known: %v)", ErrUnknownService, name, m.order)
	}
	var saveErr error
	if manual {
		// Saved before it takes effect: a crash in between restarts
		// with the new state.
		for _, e := range targets {
			if on {
				m.manual[e.cfg.Name] = true
			} else {
				delete(m.manual, e.cfg.Name)
			}
		}
		if err := m.saveDrains(); err != nil {
			m.log.Error("manual drain not saved: it will not survive a restart", "err", err)
			saveErr = fmt.Errorf("applied, but not saved, so a restart will not keep it: %w", err)
		}
	}
	for _, e := range targets {
		m.feed(now, e, costmodel.ManualDrain(on).WithSource("control socket"))
		m.log.Info("service drain", "service", e.cfg.Name, "drained", on)
	}
	m.decide(now, false)
	return saveErr
}

func (m *Manager) explain(now time.Time, name string) explainReply {
	if name != "" {
		e := m.svcs[name]
		if e == nil {
			return explainReply{err: fmt.Errorf("%w %q (known: %v)", ErrUnknownService, name, m.order)}
		}
		return explainReply{list: []costmodel.Explanation{e.model.Explain(now)}}
	}
	var out []costmodel.Explanation
	for _, n := range m.order {
		out = append(out, m.svcs[n].model.Explain(now))
	}
	return explainReply{list: out}
}
