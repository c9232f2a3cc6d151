package ndproxy

import (
	"time"
)

// Status is a snapshot of the speaker, taken by Run. It is the "nd"
// object of `anycostd status --json`; durations are in nanoseconds (the
// _ns names).
type Status struct {
	Interface    string          `json:"interface"`
	Source       string          `json:"source"` // link-local address the messages are sent from
	MAC          string          `json:"mac"`
	MinGap       time.Duration   `json:"min_gap_ns"`
	StandbyAfter time.Duration   `json:"standby_after_ns"`
	Services     []ServiceStatus `json:"services"`
	// Counters count the messages of every service: received (in), sent
	// (out) and ignored (dropped, by DropReason: malformed, hop_limit
	// (from off-link), code, invalid, other_target, self, ...).
	Counters       Counters `json:"counters"`
	Solicitations  uint64   `json:"solicitations_heard"` // for any target
	PrefixesOnLink []string `json:"prefixes,omitempty"`
}

// ServiceStatus is one service's scheduler.
type ServiceStatus struct {
	Name    string    `json:"name"`
	Address string    `json:"address"`
	State   string    `json:"state"`
	Since   time.Time `json:"since"`
	Reason  string    `json:"reason"`
	Metric  uint16    `json:"metric"`
	Weight  float64   `json:"weight"`
	// Holder is the link-layer address of the last NA with Override on
	// the link for the address: where the router sends ("" unknown).
	Holder     string         `json:"holder,omitempty"`
	HolderSelf bool           `json:"holder_self"`
	LastNA     time.Time      `json:"last_na,omitzero"`
	NextTurn   time.Time      `json:"next_turn,omitzero"`
	LastQuery  time.Time      `json:"last_query,omitzero"`
	Peers      []string       `json:"peers"`
	Stats      SchedulerStats `json:"stats"`
	Counting   bool           `json:"counting_queries"` // a query counter is open
	// NAsSent is every NA the server sent for the address: its turns
	// and its answers to solicitations (Stats.Turns + Stats.Answers).
	NAsSent uint64 `json:"nas_sent"`
	// LastTurn is when the server last took a turn.
	LastTurn time.Time `json:"last_turn,omitzero"`
	// MeanTurn is how long its turns lasted on average
	// (Stats.MeanTurn).
	MeanTurn time.Duration `json:"mean_turn_ns"`
	// Timing is what the server derives from its weight: how soon after
	// the last NA it takes its next turn.
	Timing Timing `json:"timing"`
	// IdleCause and IdleReason say, while the state is idle, why the
	// router has not solicited the address (IdleCause's String, and an
	// explanation).
	IdleCause  string `json:"idle_cause,omitempty"`
	IdleReason string `json:"idle_reason,omitempty"`
}

func (s *Speaker) status(now time.Time) Status {
	st := Status{
		Interface:     s.cfg.Interface,
		Source:        s.tr.Addr().String(),
		MAC:           macString(s.tr.HardwareAddr()),
		MinGap:        s.cfg.Params.MinGap,
		StandbyAfter:  s.cfg.Params.StandbyAfter,
		Counters:      s.counters.clone(),
		Solicitations: s.nsSeen,
	}
	for _, p := range s.cfg.Prefixes {
		st.PrefixesOnLink = append(st.PrefixesOnLink, p.String())
	}
	for _, name := range s.order {
		e := s.svcs[name]
		state, since, why := e.sch.State()
		lastNA, _ := e.sch.LastNA()
		holder := e.sch.Holder()
		ss := ServiceStatus{
			Name:       name,
			Address:    e.Addr.String(),
			State:      state.String(),
			Since:      since,
			Reason:     why,
			Metric:     e.sch.Metric(),
			Weight:     e.sch.Weight(),
			Holder:     macString(holder),
			HolderSelf: len(holder) > 0 && string(holder) == string(s.tr.HardwareAddr()),
			LastNA:     lastNA,
			NextTurn:   e.sch.NextTurn(),
			LastQuery:  e.sch.LastQuery(),
			Peers:      []string{},
			Stats:      e.sch.Stats(),
			Counting:   e.qc != nil,
			LastTurn:   e.sch.LastTurn(),
			Timing:     e.sch.Timing(),
		}
		ss.NAsSent = ss.Stats.Turns + ss.Stats.Answers
		ss.MeanTurn = ss.Stats.MeanTurn()
		if c, why := s.idleCause(e); c != IdleNone {
			ss.IdleCause, ss.IdleReason = c.String(), why
		}
		for _, p := range e.sch.Peers(now) {
			ss.Peers = append(ss.Peers, p.String())
		}
		st.Services = append(st.Services, ss)
	}
	return st
}
