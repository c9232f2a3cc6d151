package ndproxy

import (
	"net/netip"
	"time"

	"github.com/anycostd/anycostd/ospf"
)

// Status is a snapshot of the speaker, taken by Run.
type Status struct {
	Interface      string          `json:"interface"`
	Source         string          `json:"source"` // link-local address the messages are sent from
	MAC            string          `json:"mac"`
	MinGap         time.Duration   `json:"min_gap_ns"`
	StandbyAfter   time.Duration   `json:"standby_after_ns"`
	Services       []ServiceStatus `json:"services"`
	Counters       Counters        `json:"counters"`
	Solicitations  uint64          `json:"solicitations_heard"` // for any target
	PrefixesOnLink []string        `json:"prefixes,omitempty"`
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
		}
		for _, p := range e.sch.Peers(now) {
			ss.Peers = append(ss.Peers, p.String())
		}
		st.Services = append(st.Services, ss)
	}
	return st
}

// OSPF returns the status in the OSPF instance's shape, as the service
// manager and the control socket read it: one ServiceStatus per service,
// advertised (answering solicitations, taking turns) unless withdrawn,
// with its /128. There is no LSA, so no LS ID, sequence or pacing.
func (st Status) OSPF() ospf.Status {
	out := ospf.Status{
		Interface: ospf.InterfaceStatus{Name: st.Interface, State: "ND", LinkLocal: st.Source},
		Services:  []ospf.ServiceStatus{},
		Counters: ospf.Counters{
			PacketsIn:  st.Counters.In,
			PacketsOut: st.Counters.Out,
			Dropped:    st.Counters.Dropped,
		},
	}
	for _, s := range st.Services {
		a, _ := netip.ParseAddr(s.Address)
		on := s.State != StateWithdrawn.String()
		ss := ospf.ServiceStatus{
			Name:       s.Name,
			Prefix:     netip.PrefixFrom(a, 128).String(),
			Advertised: on,
			Wanted:     on,
		}
		if on {
			ss.Metric, ss.WantMetric = s.Metric, s.Metric
		}
		out.Services = append(out.Services, ss)
	}
	return out
}
