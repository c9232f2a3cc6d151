package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/anycostd/anycostd/agent/weights"
	"github.com/anycostd/anycostd/lsa"
)

// Source is the OSPF instance the agent reads the LSDB from
// (*ospf.Instance).
type Source interface {
	RawLSDB(ctx context.Context) ([][]byte, error)
	LSDBChanged() <-chan struct{}
}

// Announcer is the part of the OSPF instance (*ospf.Instance) that
// announces, in the area, the prefixes the agent weighs: one server load
// LSA of state lsa.ServerAgent per prefix. The servers of a prefix hold
// their load tiers at the base metric while they see a live announcement
// (docs/router-agent.md, "Tiers under the agent"). A Source without it
// announces nothing.
type Announcer interface {
	Announce(prefixes []netip.Prefix) error
}

// Config is what the agent needs; the engine knows no config file.
type Config struct {
	// RouterID is the agent's own OSPF router ID.
	RouterID uint32
	// Ifindex is the router's interface on the server link: the next
	// hops' interface.
	Ifindex int
	// Link names the server link when the agent is not on it (ViewOptions).
	Link LinkID
	// Prefixes are the anycast prefixes to program; empty: every prefix
	// that has server load LSAs.
	Prefixes []netip.Prefix
	// DefaultCapacity stands for a member's capacity while it has no valid
	// load LSA (default 1).
	DefaultCapacity float64
	Weights         weights.Params
	// Preference is the preference of the backend's routes (zebra's
	// administrative distance, the kernel's route metric; see Preferrer);
	// 0: the backend's own. Run gives it to the backend first.
	Preference int
	Limits     Limits
	// Poll re-reads the LSDB this often even without a change (default
	// 1 s): LSAs that age out change nothing the instance reports.
	Poll time.Duration
	Log  *slog.Logger
}

func (c *Config) defaults() {
	if c.DefaultCapacity == 0 {
		c.DefaultCapacity = 1
	}
	if c.Weights == (weights.Params{}) {
		c.Weights = weights.DefaultParams()
	}
	if c.Limits == (Limits{}) {
		c.Limits = DefaultLimits()
	}
	if c.Poll == 0 {
		c.Poll = time.Second
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Counters are the agent's counters, as plain data for the metrics.
type Counters struct {
	// Snapshots counts LSDB reads, Updates the route changes sent to the
	// backend, Removals the routes removed, BackendErrors the failures.
	Snapshots     uint64 `json:"snapshots"`
	Updates       uint64 `json:"updates"`
	Removals      uint64 `json:"removals"`
	BackendErrors uint64 `json:"backend_errors"`
	WeightChanges uint64 `json:"weight_changes"`
	// Refreshes counts the renewals of the leased routes (the kernel
	// backend's kernel_lease); a failed one counts in BackendErrors.
	Refreshes uint64 `json:"refreshes"`
	// Ignored counts load LSA instances left out, by reason (see
	// Ignored.Reason); each instance counts once.
	Ignored map[string]uint64 `json:"ignored"`
}

// NexthopStatus is one member of a programmed prefix.
type NexthopStatus struct {
	Server   string     `json:"server"` // router ID
	NextHop  netip.Addr `json:"next_hop"`
	Capacity float64    `json:"capacity"`
	// Load is the reported load figure; HasLoad false: no valid load
	// LSA (Capacity is then the default).
	Load    float64   `json:"load"`
	HasLoad bool      `json:"has_load"`
	Weight  int       `json:"weight"`
	Share   float64   `json:"share"`
	Why     string    `json:"why"`
	Changed time.Time `json:"changed"`
}

// ExcludedStatus is a server of a prefix that gets no weight, and why.
type ExcludedStatus struct {
	Server string `json:"server"`
	Why    string `json:"why"`
}

// PrefixStatus is one prefix: its route and the servers left out.
type PrefixStatus struct {
	Prefix   netip.Prefix     `json:"prefix"`
	Metric   uint16           `json:"metric"`
	Nexthops []NexthopStatus  `json:"nexthops"`
	Excluded []ExcludedStatus `json:"excluded,omitempty"`
}

// Status is the agent's state for `anycostd router status`.
type Status struct {
	RouterID string         `json:"router_id"`
	Linked   bool           `json:"linked"`
	Prefixes []PrefixStatus `json:"prefixes"`
	// Announced are the prefixes the agent announces in the area as
	// weighed by it (Announcer): the servers hold their load tiers at the
	// base metric for them.
	Announced []netip.Prefix `json:"announced,omitempty"`
	Counters  Counters       `json:"counters"`
}

// state is the engine: it turns views into routes. It does no I/O and
// reads no clock; Agent.Run owns it.
type state struct {
	cfg     Config
	loops   map[netip.Prefix]*weights.Loop
	routes  map[netip.Prefix]Route
	status  Status
	seenBad map[lsa.Key]Ignored
	cnt     Counters
}

func newState(cfg Config) *state {
	return &state{
		cfg: cfg, loops: map[netip.Prefix]*weights.Loop{}, routes: map[netip.Prefix]Route{},
		seenBad: map[lsa.Key]Ignored{}, cnt: Counters{Ignored: map[string]uint64{}},
	}
}

// wanted reports whether the agent programs p.
func (s *state) wanted(p netip.Prefix) bool {
	return len(s.cfg.Prefixes) == 0 || slices.Contains(s.cfg.Prefixes, p)
}

// update takes a view at now and returns the routes to set and the
// prefixes to remove. A prefix with no member has no route: OSPF's own
// route (ECMP) forwards, or nothing, exactly as without the agent.
func (s *state) update(now time.Time, v View) (set []Route, remove []netip.Prefix) {
	s.cnt.Snapshots++
	s.countIgnored(v.Ignored)
	st := Status{RouterID: lsa.IDString(s.cfg.RouterID), Linked: v.Linked}
	seen := map[netip.Prefix]bool{}
	for _, pv := range v.Prefixes {
		if !s.wanted(pv.Prefix) {
			continue
		}
		hasLoad := slices.ContainsFunc(pv.Servers, func(sv Server) bool { return sv.HasLoad })
		if len(s.cfg.Prefixes) == 0 && !hasLoad {
			continue // not an anycostd prefix
		}
		seen[pv.Prefix] = true
		ps := PrefixStatus{Prefix: pv.Prefix, Metric: pv.Metric, Nexthops: []NexthopStatus{}}
		byID := map[uint32]Server{}
		var in []weights.Input
		for _, sv := range pv.Servers {
			if !sv.Member {
				ps.Excluded = append(ps.Excluded, ExcludedStatus{Server: lsa.IDString(sv.RouterID), Why: sv.Why})
				continue
			}
			byID[sv.RouterID] = sv
			c := s.cfg.DefaultCapacity
			if sv.HasLoad {
				c = sv.Capacity
			}
			in = append(in, weights.Input{RouterID: sv.RouterID, Capacity: c, HasLoad: sv.HasLoad, Load: sv.Load})
		}
		loop := s.loops[pv.Prefix]
		if loop == nil {
			loop = weights.New(s.cfg.Weights)
			s.loops[pv.Prefix] = loop
		}
		ws, changes := loop.Update(now, in)
		for _, c := range changes {
			s.cnt.WeightChanges++
			s.cfg.Log.Info("weight changed", "prefix", pv.Prefix, "server", lsa.IDString(c.RouterID),
				"next_hop", byID[c.RouterID].NextHop, "from", c.From, "to", c.To, "why", c.Why)
		}
		r := Route{Prefix: pv.Prefix}
		if pv.Incomplete {
			ws = nil // no route rather than one without a server OSPF uses
			ps.Excluded = append(ps.Excluded, ExcludedStatus{Why: "no route: a server OSPF uses has no known next hop"})
		}
		for _, w := range ws {
			sv := byID[w.RouterID]
			r.Nexthops = append(r.Nexthops, Nexthop{Addr: sv.NextHop, Ifindex: s.cfg.Ifindex, Weight: w.Weight})
			ps.Nexthops = append(ps.Nexthops, NexthopStatus{
				Server: lsa.IDString(w.RouterID), NextHop: sv.NextHop, Capacity: in[slices.IndexFunc(in, func(x weights.Input) bool { return x.RouterID == w.RouterID })].Capacity,
				Load: sv.Load, HasLoad: sv.HasLoad, Weight: w.Weight, Share: w.Share, Why: w.Why, Changed: w.Changed,
			})
		}
		st.Prefixes = append(st.Prefixes, ps)
		old, had := s.routes[pv.Prefix]
		switch {
		case len(r.Nexthops) == 0 && had:
			remove = append(remove, pv.Prefix)
		case len(r.Nexthops) > 0 && (!had || !slices.Equal(old.Nexthops, r.Nexthops)):
			set = append(set, r)
		}
	}
	for p := range s.routes {
		if !seen[p] {
			remove = append(remove, p)
			delete(s.loops, p)
		}
	}
	for p := range s.loops {
		if !seen[p] {
			delete(s.loops, p)
		}
	}
	slices.SortFunc(remove, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	s.status = st
	return set, remove
}

// applied records what the backend did.
func (s *state) applied(r Route, err error) {
	if err != nil {
		s.cnt.BackendErrors++
		s.cfg.Log.Error("cannot program route", "route", r, "err", err)
		return
	}
	s.cnt.Updates++
	s.routes[r.Prefix] = r
	s.cfg.Log.Info("route programmed", "route", r)
}

// refreshed records a lease refresh of r (the route already installed).
func (s *state) refreshed(r Route, err error) {
	if err != nil {
		s.cnt.BackendErrors++
		s.cfg.Log.Error("cannot refresh the route's lease; it expires unless a refresh succeeds", "route", r, "err", err)
		return
	}
	s.cnt.Refreshes++
	s.cfg.Log.Debug("route lease refreshed", "prefix", r.Prefix)
}

func (s *state) removed(p netip.Prefix, err error) {
	if err != nil {
		s.cnt.BackendErrors++
		s.cfg.Log.Error("cannot remove route", "prefix", p, "err", err)
		return
	}
	s.cnt.Removals++
	delete(s.routes, p)
	s.cfg.Log.Info("route removed: OSPF's own route forwards", "prefix", p)
}

// countIgnored counts each ignored LSA instance once and logs it.
func (s *state) countIgnored(ig []Ignored) {
	now := map[lsa.Key]bool{}
	for _, x := range ig {
		now[x.Key] = true
		if prev, ok := s.seenBad[x.Key]; ok && prev.Seq == x.Seq && prev.Reason == x.Reason {
			continue
		}
		s.seenBad[x.Key] = x
		s.cnt.Ignored[x.Reason]++
		s.cfg.Log.Warn("load LSA ignored", "lsa", x.Key, "reason", x.Reason, "detail", x.Detail)
	}
	for k := range s.seenBad {
		if !now[k] {
			delete(s.seenBad, k)
		}
	}
}

func (s *state) snapshot() Status {
	st := s.status
	st.Counters = s.cnt
	st.Counters.Ignored = make(map[string]uint64, len(s.cnt.Ignored))
	for k, v := range s.cnt.Ignored {
		st.Counters.Ignored[k] = v
	}
	return st
}

// Agent is the router agent engine: one goroutine (Run) owns its state,
// reads the LSDB when it changes (and every Poll), and programs the
// backend.
type Agent struct {
	cfg    Config
	src    Source
	be     Backend
	now    func() time.Time
	status chan chan Status
	reconf chan reconfig
	done   chan struct{}
}

// New builds an agent; nothing happens before Run.
func New(cfg Config, src Source, be Backend) (*Agent, error) {
	cfg.defaults()
	if err := cfg.Weights.Validate(); err != nil {
		return nil, err
	}
	if cfg.RouterID == 0 || cfg.Ifindex <= 0 {
		return nil, errors.New("agent: router ID and interface index are required")
	}
	return &Agent{cfg: cfg, src: src, be: be, now: time.Now, status: make(chan chan Status),
		reconf: make(chan reconfig), done: make(chan struct{})}, nil
}

// Run owns the agent until ctx ends, then removes its routes (Close on the
// backend) so that OSPF's routes forward again. It also returns, with an
// error wrapping ErrZebraClosed, when zebra closed the connection (zebra
// restarted: the agent's routes are gone with it); the caller starts a new
// agent with a new backend.
func (a *Agent) Run(ctx context.Context) error {
	defer close(a.done)
	s := newState(a.cfg)
	poll := time.NewTicker(min(a.cfg.Poll, a.cfg.Weights.Interval))
	defer poll.Stop()
	var lost error
	// A Leaser backend's routes: when each is refreshed.
	leases := newLeaseSchedule(leaseOf(a.be))
	step := func() {
		raws, err := a.src.RawLSDB(ctx)
		if err != nil {
			if ctx.Err() == nil {
				a.cfg.Log.Warn("cannot read the LSDB", "err", err)
			}
			return
		}
		now := a.now()
		set, remove := s.update(now, BuildView(raws, ViewOptions{Self: a.cfg.RouterID, Link: a.cfg.Link, Limits: a.cfg.Limits}))
		for _, r := range set {
			err := a.be.Set(r)
			s.applied(r, err)
			leases.done(r.Prefix, now, err)
			if errors.Is(err, ErrZebraClosed) {
				lost = err
			}
		}
		for _, p := range remove {
			err := a.be.Remove(p)
			s.removed(p, err)
			leases.removed(p)
			if errors.Is(err, ErrZebraClosed) {
				lost = err
			}
		}
	}
	// The leased routes renewed before their lease runs out.
	refresh := time.NewTimer(time.Hour)
	defer refresh.Stop()
	arm := func() {
		refresh.Stop()
		if at, ok := leases.nextAt(); ok {
			refresh.Reset(max(0, at.Sub(a.now())))
		}
	}
	renew := func() {
		now := a.now()
		for _, p := range leases.due(now) {
			r, ok := s.routes[p]
			if !ok {
				leases.removed(p)
				continue
			}
			err := a.be.(Leaser).Refresh(r)
			s.refreshed(r, err)
			leases.done(p, now, err)
			if errors.Is(err, ErrZebraClosed) {
				lost = err
			}
		}
	}
	// A backend built before a reload changed the preference takes the
	// agent's (one that cannot change it was built with its own).
	if p, ok := a.be.(Preferrer); ok && a.cfg.Preference != 0 && p.Preference() != a.cfg.Preference {
		if err := p.SetPreference(a.cfg.Preference); err != nil {
			a.be.Close()
			return fmt.Errorf("agent: route preference %d: %w", a.cfg.Preference, err)
		}
	}
	var gone <-chan struct{}
	if n, ok := a.be.(LossNotifier); ok {
		gone = n.Lost()
	}
	ann := newAnnouncing(a.src, a.cfg.Log)
	defer ann.stop()
	step()
	for lost == nil {
		ann.update(s.routes)
		arm()
		select {
		case <-ctx.Done():
			err := a.be.Close()
			if err != nil {
				err = fmt.Errorf("agent: removing routes: %w", err)
			}
			return err
		case <-a.src.LSDBChanged():
			step()
		case <-poll.C:
			step()
		case <-refresh.C:
			renew()
		case <-gone:
			lost = ErrZebraClosed
		case reply := <-a.status:
			st := s.snapshot()
			st.Announced = slices.Clone(ann.now)
			reply <- st
		case r := <-a.reconf:
			changed, err := a.reconfigure(s, r.live)
			if errors.Is(err, ErrZebraClosed) {
				lost = err
			}
			if err == nil && len(changed) > 0 {
				a.cfg.Log.Info("reconfigured", "changes", strings.Join(changed, "; "))
				step() // the new prefix set and weights now
			}
			r.reply <- err
		}
	}
	a.be.Close()
	return fmt.Errorf("agent: %w", lost)
}

// ErrStopped: the agent's Run has returned.
var ErrStopped = errors.New("agent: stopped")

// Status returns the agent's status.
func (a *Agent) Status(ctx context.Context) (Status, error) {
	reply := make(chan Status, 1)
	select {
	case a.status <- reply:
	case <-ctx.Done():
		return Status{}, ctx.Err()
	case <-a.done:
		return Status{}, ErrStopped
	}
	select {
	case st := <-reply:
		return st, nil
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
}
