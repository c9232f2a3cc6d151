package costmodel

import (
	"fmt"
	"strings"
	"time"
)

// Explanation is everything behind a service's advertisement, for
// `anycostd cost` (and its --json form: the json names are stable). Times are
// absolute; durations are whole milliseconds in fields ending in _ms.
type Explanation struct {
	Service string    `json:"service"`
	At      time.Time `json:"at"`

	// Advertised is what the engine was last told; Wanted is what the model
	// wants now (before pacing), WantedReason why.
	Advertised   Advert `json:"advertised"`
	Wanted       Advert `json:"wanted"`
	WantedReason string `json:"wanted_reason"`
	// Held says Wanted differs from Advertised (or a withdrawal is latched):
	// the change waits for pacing, or for the next Decide. HeldSince is when
	// it was first wanted.
	Held      bool      `json:"held"`
	HeldSince time.Time `json:"held_since,omitzero"`
	// WithdrawLatched says a withdrawal was wanted and will be reported
	// when pacing allows, even if its cause has gone.
	WithdrawLatched bool `json:"withdraw_latched"`
	// LastChange is when the last change was reported; NextChangeAllowed is
	// LastChange + MinInterval: no change is reported before it.
	LastChange        time.Time `json:"last_change,omitzero"`
	NextChangeAllowed time.Time `json:"next_change_allowed,omitzero"`
	// LastDecision is the result of the latest Decide call.
	LastDecision *Decision `json:"last_decision,omitempty"`

	// Load is the load figure at At and LoadSource the term that set it
	// ("rqueue", "drops", "latency", "external", "cpu" or "none").
	Load       float64 `json:"load"`
	LoadSource string  `json:"load_source"`
	Terms      []Term  `json:"terms"`

	Inputs  []InputView `json:"inputs"`
	Health  Health      `json:"health"`
	Present bool        `json:"socket_present"`
	Drained bool        `json:"drained"`

	// Tier is the current tier (-1 without tiers), TierNext the tier the load
	// points to now (equal to Tier when no move is wanted), TierHeldUntil when
	// the dwell time lets that move happen, TierReason the last tier move.
	Tier          int       `json:"tier"`
	TierSince     time.Time `json:"tier_since"`
	TierNext      int       `json:"tier_next"`
	TierTrigger   string    `json:"tier_trigger,omitempty"`
	TierHeldUntil time.Time `json:"tier_held_until,omitzero"`
	TierReason    string    `json:"tier_reason,omitempty"`
	// DownDwellMS is the time to spend in a tier before the next downward
	// move (MinDwell, doubled after each quick reversal up to MaxDwell).
	DownDwellMS int64 `json:"down_dwell_ms"`
	// Band is the load range that keeps the current tier (nil without tiers).
	Band  *Band     `json:"band,omitempty"`
	Tiers []TierRow `json:"tiers"`

	// History holds the last 20 reported changes, oldest first; Changes
	// counts every change ever reported.
	History []Change `json:"history"`
	Changes int      `json:"changes"`

	Settings        Settings `json:"settings"`
	ParamsError     string   `json:"params_error,omitempty"`
	RejectedSamples int      `json:"rejected_samples"`

	// Farm is the farm view and what it does to the decisions (nil when
	// the model has never been given one).
	Farm *FarmExplanation `json:"farm,omitempty"`
}

// Term is one load term: its smoothed value, weight, and weighted value.
type Term struct {
	Name     string    `json:"name"`
	Input    InputKind `json:"input"`
	Smoothed float64   `json:"smoothed"`
	Weight   float64   `json:"weight"`
	Value    float64   `json:"value"` // Weight × Smoothed, clamped to 0..MaxLoad
	Used     bool      `json:"used"`  // counts in the load figure
	Why      string    `json:"why,omitempty"`
}

// Health is the probe's rise/fall state.
type Health struct {
	Up     bool   `json:"up"`
	Good   int    `json:"good"` // consecutive good checks
	Bad    int    `json:"bad"`  // consecutive failed checks
	Rise   int    `json:"rise"`
	Fall   int    `json:"fall"`
	Reason string `json:"reason,omitempty"`
}

// Band is the load range that keeps the current tier: the model moves down
// when the load is below MoveDownBelow and up when it reaches MoveUpAt. A nil
// bound means there is no tier on that side.
type Band struct {
	MoveDownBelow *float64 `json:"move_down_below"`
	MoveUpAt      *float64 `json:"move_up_at"`
}

// TierRow is one row of the tier table.
type TierRow struct {
	Index   int     `json:"index"`
	Metric  uint16  `json:"metric"`
	Up      float64 `json:"up"`
	Down    float64 `json:"down"`
	Current bool    `json:"current"`
}

// InputView is one input's latest sample.
type InputView struct {
	Input InputKind `json:"input"`
	// Enabled is the monitor's Params Enabled flag for the socket, probe,
	// external and cpu inputs; the drain inputs are always accepted (true).
	Enabled bool      `json:"enabled"`
	Seen    bool      `json:"seen"`
	Source  string    `json:"source,omitempty"`
	At      time.Time `json:"at,omitzero"`
	AgeMS   int64     `json:"age_ms"`
	Stale   bool      `json:"stale"`
	// StaleAfterMS is the age at which the input goes stale (0: never).
	StaleAfterMS int64  `json:"stale_after_ms"`
	Samples      uint64 `json:"samples"`
	// Value summarises the latest sample for people.
	Value     string   `json:"value"`
	Present   *bool    `json:"present,omitempty"`
	RQueue    *float64 `json:"rqueue,omitempty"`
	Drops     *uint64  `json:"drops,omitempty"`
	OK        *bool    `json:"ok,omitempty"`
	LatencyMS *float64 `json:"latency_ms,omitempty"`
	// Load is the external load, or the CPU utilisation (input cpu).
	Load    *float64 `json:"load,omitempty"`
	Error   string   `json:"error,omitempty"`
	Drained *bool    `json:"drained,omitempty"`
}

// Change is one reported change and the state that caused it.
type Change struct {
	At         time.Time `json:"at"`
	From       Advert    `json:"from"`
	To         Advert    `json:"to"`
	Reason     string    `json:"reason"`
	Load       float64   `json:"load"`
	LoadSource string    `json:"load_source"`
	Tier       int       `json:"tier"`
	// WantedAt is when the change was first wanted; HeldMS how long pacing
	// held it (At - WantedAt).
	WantedAt time.Time `json:"wanted_at"`
	HeldMS   int64     `json:"held_ms"`
	// NextAllowed is the earliest time of the next change (At + MinInterval).
	NextAllowed time.Time   `json:"next_allowed"`
	Inputs      []InputView `json:"inputs"`
}

// Settings are the parameters that shape the decisions.
type Settings struct {
	StaticMetric       uint16      `json:"static_metric"`
	MinIntervalMS      int64       `json:"min_interval_ms"`
	MinDwellMS         int64       `json:"min_dwell_ms"`
	MaxDwellMS         int64       `json:"max_dwell_ms"`
	Rise               int         `json:"rise"`
	Fall               int         `json:"fall"`
	DrainAction        DrainAction `json:"drain_action"`
	Weights            Weights     `json:"weights"`
	ProbeLatencyFullMS float64     `json:"probe_latency_full_ms"`
	DropRateFull       float64     `json:"drop_rate_full"`
	SmoothingMS        int64       `json:"smoothing_ms"`
	StaleAfter         int         `json:"stale_after"`
	HungAfterMS        int64       `json:"hung_after_ms"`
}

// Explain describes the model at now. It does not change the model: the
// tier shown is the one of the latest Decide, and TierNext shows where the
// load points now.
func (m *Model) Explain(now time.Time) Explanation {
	if now.Before(m.clock) {
		now = m.clock
	}
	li := m.load(now)
	want, why := m.want(now, li.load)
	up, healthWhy := m.healthy(now)
	present, _ := m.present()
	drained, _ := m.drained()
	e := Explanation{
		Service:         m.name,
		At:              now,
		Advertised:      m.adv,
		Wanted:          want,
		WantedReason:    why,
		WithdrawLatched: m.latched,
		Load:            li.load,
		LoadSource:      li.source,
		Terms:           li.terms[:],
		Inputs:          m.inputViews(now),
		Health: Health{Up: up, Good: m.good, Bad: m.bad, Rise: m.p.Rise, Fall: m.p.Fall,
			Reason: healthWhy},
		Present:     present,
		Drained:     drained,
		Tier:        m.tierIndex(),
		TierSince:   m.tierSince,
		TierNext:    m.tierIndex(),
		TierReason:  m.tierWhy,
		DownDwellMS: m.downDwell.Milliseconds(),
		Tiers:       []TierRow{},
		History:     m.History(),
		Changes:     m.changes,
		Settings: Settings{
			StaticMetric:       m.p.StaticMetric,
			MinIntervalMS:      m.p.MinInterval.Milliseconds(),
			MinDwellMS:         m.p.MinDwell.Milliseconds(),
			MaxDwellMS:         m.p.MaxDwell.Milliseconds(),
			Rise:               m.p.Rise,
			Fall:               m.p.Fall,
			DrainAction:        m.p.DrainAction,
			Weights:            m.p.Weights,
			ProbeLatencyFullMS: float64(m.p.ProbeLatencyFull) / float64(time.Millisecond),
			DropRateFull:       m.p.DropRateFull,
			SmoothingMS:        m.p.Smoothing.Milliseconds(),
			StaleAfter:         m.p.StaleAfter,
			HungAfterMS:        m.p.HungAfter.Milliseconds(),
		},
		RejectedSamples: m.rejected,
	}
	if m.paramErr != nil {
		e.ParamsError = strings.ReplaceAll(m.paramErr.Error(), "\n", "; ")
	}
	if m.latched {
		e.Wanted = withdrawn
	}
	if e.Wanted != m.adv {
		e.Held = true
		e.HeldSince = now
		if m.hasPending && m.pending == e.Wanted {
			e.HeldSince = m.pendingSince
		}
	}
	if m.reported {
		e.LastChange = m.lastReport
		e.NextChangeAllowed = m.lastReport.Add(m.p.MinInterval)
	}
	if m.haveLastDecision {
		d := m.lastDecision
		e.LastDecision = &d
	}
	var plan tierMove
	if !want.Withdrawn {
		plan = m.tierPlan(now, li.load)
		if len(m.p.Tiers) > 0 {
			e.TierNext = plan.next
		}
		e.TierTrigger, e.TierHeldUntil = plan.trigger, plan.heldUntil
	}
	e.Farm = m.farmExplain(now, li.load, plan)
	for i, t := range m.p.Tiers {
		e.Tiers = append(e.Tiers, TierRow{Index: i, Metric: t.Metric, Up: t.Up, Down: t.Down,
			Current: i == m.tier})
	}
	if n := len(m.p.Tiers); n > 0 {
		b := &Band{}
		if m.tier > 0 {
			v := m.p.Tiers[m.tier-1].Down
			b.MoveDownBelow = &v
		}
		if m.tier < n-1 {
			v := m.p.Tiers[m.tier].Up
			b.MoveUpAt = &v
		}
		e.Band = b
	}
	return e
}

// History returns the last 20 reported changes, oldest first.
func (m *Model) History() []Change {
	n := min(m.changes, historySize)
	out := make([]Change, 0, n)
	for i := m.changes - n; i < m.changes; i++ {
		out = append(out, m.history[i%historySize])
	}
	return out
}

// inputViews describes every input at now.
func (m *Model) inputViews(now time.Time) []InputView {
	views := make([]InputView, 0, len(allInputs))
	enabled := map[InputKind]bool{
		InputSocket:   m.p.Socket.Enabled,
		InputProbe:    m.p.Probe.Enabled,
		InputExternal: m.p.External.Enabled,
		InputCPU:      m.p.CPU.Enabled,
	}
	for _, k := range allInputs {
		st := &m.in[k]
		v := InputView{
			Input:        k,
			Enabled:      enabled[k] || k == InputManualDrain || k == InputDrainFile,
			Seen:         st.seen,
			StaleAfterMS: m.staleWindowAt(k, now).Milliseconds(),
			Samples:      st.count,
			Value:        "no sample yet",
		}
		if st.seen {
			s := st.last
			v.Source = s.Source
			v.At = st.at
			v.AgeMS = now.Sub(st.at).Milliseconds()
			v.Stale = m.stale(k, st.at, now)
			switch k {
			case InputSocket:
				v.Present = ptr(s.Present)
				if s.Present {
					v.RQueue, v.Drops = ptr(s.RQueue), ptr(s.Drops)
					v.Value = fmt.Sprintf("present, rqueue %.3f, drops +%d", s.RQueue, s.Drops)
				} else {
					v.Value = "gone"
				}
			case InputProbe:
				v.OK = ptr(s.OK)
				if s.OK {
					ms := float64(s.Latency) / float64(time.Millisecond)
					v.LatencyMS = &ms
					v.Value = fmt.Sprintf("ok in %v", s.Latency)
				} else {
					v.Value = "failed"
				}
			case InputExternal, InputCPU:
				what := "load"
				if k == InputCPU {
					what = "utilisation"
				}
				if s.Err != "" {
					v.Error = s.Err
					v.Value = "error: " + s.Err
				} else {
					v.Load = ptr(s.Load)
					v.Value = fmt.Sprintf("%s %.3f", what, s.Load)
				}
			case InputManualDrain, InputDrainFile:
				v.Drained = ptr(s.Drained)
				v.Value = "not drained"
				if s.Drained {
					v.Value = "drained"
				}
			}
		}
		views = append(views, v)
	}
	return views
}

func ptr[T any](v T) *T { return &v }
