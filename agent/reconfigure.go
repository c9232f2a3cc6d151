package agent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/anycostd/anycostd/agent/weights"
)

// Live is the part of the agent's settings that can change while it runs
// (Agent.Reconfigure, a configuration reload). The rest of Config (router
// ID, interface, server link) and the backend itself need a new agent.
type Live struct {
	// Prefixes replaces Config.Prefixes (empty: every prefix that has
	// server load LSAs).
	Prefixes []netip.Prefix
	// Weights replaces Config.Weights; it must be valid.
	Weights weights.Params
	// Preference is the preference of the backend's routes (zebra's
	// administrative distance, the kernel's route metric); 0 leaves it as
	// it is. A backend that is not a Preferrer refuses a change.
	Preference int
}

// Preferrer is a backend whose routes' preference can change while they
// are installed.
type Preferrer interface {
	// Preference is the preference the backend's routes have now.
	Preference() int
	// SetPreference re-installs every route the backend holds with
	// preference p, each replacing its previous instance (never a
	// second route beside it), and gives later routes p too.
	SetPreference(p int) error
}

// ErrReconfigure is wrapped by Reconfigure's errors: the change was
// refused (bad parameters, a backend that cannot change its preference)
// or the backend failed to apply it.
var ErrReconfigure = errors.New("agent: reconfiguration")

type reconfig struct {
	live  Live
	reply chan error
}

// Reconfigure applies l to the running agent: the weight loops take the
// new parameters (each server keeps its load correction), the routes go
// to the backend again with the new preference, and the prefix set
// changes at once (a prefix no longer wanted loses its route, a new one
// gets its own at this LSDB read). Invalid parameters change nothing. It
// returns what Run did, or ctx's error, or ErrStopped once Run has
// returned.
func (a *Agent) Reconfigure(ctx context.Context, l Live) error {
	if err := l.Weights.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrReconfigure, err)
	}
	r := reconfig{live: l, reply: make(chan error, 1)}
	select {
	case a.reconf <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-a.done:
		return ErrStopped
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reconfigure is Reconfigure in Run's goroutine: the engine takes the new
// settings, then the backend its new preference. It says what changed.
func (a *Agent) reconfigure(s *state, l Live) (changed []string, err error) {
	if l.Preference != 0 {
		p, ok := a.be.(Preferrer)
		if !ok {
			return nil, fmt.Errorf("%w: the backend's route preference cannot change while it runs", ErrReconfigure)
		}
		if from := p.Preference(); from != l.Preference {
			if err := p.SetPreference(l.Preference); err != nil {
				s.cnt.BackendErrors++
				return nil, fmt.Errorf("%w: preference %d -> %d: %w", ErrReconfigure, from, l.Preference, err)
			}
			changed = append(changed, fmt.Sprintf("preference %d -> %d", from, l.Preference))
		}
		s.cfg.Preference = l.Preference
	}
	changed = append(changed, s.reconfigure(l)...)
	a.cfg = s.cfg
	return changed, nil
}

// reconfigure takes the new prefix set and weight parameters. The routes
// follow at the next update.
func (s *state) reconfigure(l Live) []string {
	var changed []string
	if !slices.Equal(s.cfg.Prefixes, l.Prefixes) {
		changed = append(changed, fmt.Sprintf("prefixes %s -> %s", prefixList(s.cfg.Prefixes), prefixList(l.Prefixes)))
		s.cfg.Prefixes = slices.Clone(l.Prefixes)
	}
	if s.cfg.Weights != l.Weights {
		changed = append(changed, fmt.Sprintf("weights %s -> %s", paramsString(s.cfg.Weights), paramsString(l.Weights)))
		s.cfg.Weights = l.Weights
		for _, loop := range s.loops {
			loop.SetParams(l.Weights, "configuration reloaded")
		}
	}
	return changed
}

func prefixList(ps []netip.Prefix) string {
	if len(ps) == 0 {
		return "[all with load LSAs]"
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return "[" + strings.Join(out, " ") + "]"
}

func paramsString(p weights.Params) string {
	return fmt.Sprintf("max_weight %d factors %g..%g dead_band %g confirm %d", p.MaxWeight, p.MinFactor, p.MaxFactor, p.DeadBand, p.Confirm)
}
