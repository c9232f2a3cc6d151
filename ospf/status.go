package ospf

import "time"

// Status is a snapshot of an instance, taken by its owning goroutine and
// handed to the control socket. The JSON field names are a stable schema
// (the "ospf" object of the control protocol's status, docs/control.md).
type Status struct {
	RouterID  string           `json:"router_id"`
	Area      string           `json:"area"`
	Interface InterfaceStatus  `json:"interface"`
	Neighbors []NeighborStatus `json:"neighbors"`
	Services  []ServiceStatus  `json:"services"`
	Pacing    PacingStatus     `json:"pacing"`
	Counters  Counters         `json:"counters"`
}

// PacingStatus says which bound applies to each kind of change
// (docs/failover-timing.md): metric changes wait for MinLSInterval since
// the LSA's last transmission; a withdrawal goes at once and, if the
// router drops it, again once the router's MinLSArrival has passed.
type PacingStatus struct {
	MinLSInterval time.Duration `json:"min_ls_interval_ns"`
	// RouterMinLSArrival is the routers' MinLSArrival that withdrawals
	// wait out: learned (the largest of the adjacent routers' proven
	// bounds) or assumed.
	RouterMinLSArrival time.Duration `json:"router_min_ls_arrival_ns"`
	// Learned: RouterMinLSArrival was proven by what the routers
	// accepted (NeighborStatus.MinLSArrivalMax); otherwise it is assumed
	// (RFC 2328's 1 s, or min_ls_interval less 100 ms when longer).
	Learned bool `json:"learned"`
	// WithdrawWithin is the longest a withdrawal waits after the LSA's
	// previous change: RouterMinLSArrival and a 20 ms margin, at most
	// MinLSInterval.
	WithdrawWithin time.Duration `json:"withdraw_within_ns"`
}

// InterfaceStatus describes the one OSPF interface.
type InterfaceStatus struct {
	Name        string `json:"name"`
	Index       int    `json:"index"`
	InterfaceID uint32 `json:"interface_id"`
	State       string `json:"state"`
	LinkLocal   string `json:"link_local"`
	MTU         int    `json:"mtu"`
	Cost        uint16 `json:"cost"`
	DR          string `json:"dr"`
	BDR         string `json:"bdr"`
	HelloSec    int    `json:"hello_interval_s"`
	DeadSec     int    `json:"dead_interval_s"`
}

// NeighborStatus describes one neighbor on the interface.
type NeighborStatus struct {
	RouterID     string        `json:"router_id"`
	Address      string        `json:"address"`
	InterfaceID  uint32        `json:"interface_id"`
	Priority     uint8         `json:"priority"`
	State        string        `json:"state"`
	Role         string        `json:"role"` // DR, BDR or DROther as the neighbor declares itself
	DeadIn       time.Duration `json:"dead_in_ns"`
	Uptime       time.Duration `json:"uptime_ns"` // time in the current state
	RxmtCount    int           `json:"retransmit_count"`
	RequestCount int           `json:"request_count"`
	SummaryCount int           `json:"summary_count"`
	// UnlistedRestarts counts the restarts of the adjacency because the
	// neighbor, as DR, did not list us in its Network-LSA long after we
	// were Full with it (stuck_exchange.go).
	UnlistedRestarts int `json:"unlisted_restarts"`
	// MinLSArrivalMax is what the neighbor's acknowledgements proved of
	// its MinLSArrival: it took an instance of our LSA this long after the
	// previous one, so its MinLSArrival is at most this (0: nothing proven
	// yet). LearnedAt is when it was last lowered.
	MinLSArrivalMax time.Duration `json:"min_ls_arrival_max_ns,omitempty"`
	LearnedAt       time.Time     `json:"min_ls_arrival_learned_at,omitzero"`
	// HopLimit is the hop limit of the neighbor's last Hello: 1 (RFC 5340
	// A.1), 255 from a router using TTL security (RFC 5082); -1 unknown.
	HopLimit int `json:"hop_limit"`
	// Note says why the neighbor does not progress, when the engine can
	// tell (a router that requires TTL security while we do not use it).
	Note string `json:"note,omitempty"`
}

// ServiceStatus describes one service prefix and its Intra-Area-Prefix-LSA.
type ServiceStatus struct {
	Name   string `json:"name"`
	Prefix string `json:"prefix"`
	// Fallback is the second prefix wanted in the LSA (Service.Fallback),
	// at FallbackMetric; empty when none.
	Fallback       string `json:"fallback,omitempty"`
	FallbackMetric uint16 `json:"fallback_metric,omitempty"`
	Advertised     bool   `json:"advertised"`
	Metric         uint16 `json:"metric"`      // metric in the LSA on the wire (when advertised)
	Wanted         bool   `json:"wanted"`      // advertisement wanted by the service's state
	WantMetric     uint16 `json:"want_metric"` // metric wanted; differs from Metric while paced
	LSID           string `json:"ls_id"`
	Seq            string `json:"seq"`
	// NextChange is when pacing lets the next instance of this LSA out
	// (zero when nothing is pending).
	NextChange time.Time `json:"next_change,omitzero"`
	// ResendAt is set while a withdrawal sent before pacing allowed (the
	// early try, docs/failover-timing.md) is not yet acknowledged: when
	// it goes again, the router's MinLSArrival having passed.
	ResendAt time.Time `json:"resend_at,omitzero"`
}

// Counters count packets and LSAs for the status page and metrics.
type Counters struct {
	PacketsIn    map[string]uint64 `json:"packets_in"`
	PacketsOut   map[string]uint64 `json:"packets_out"`
	Dropped      map[string]uint64 `json:"dropped"` // by reason
	LSAsIn       uint64            `json:"lsas_in"`
	LSAsOut      uint64            `json:"lsas_out"`
	Retransmits  uint64            `json:"lsa_retransmits"`
	Originations uint64            `json:"originations"`
	// DRUnlistedRestarts counts adjacencies with the DR restarted because
	// its Network-LSA did not list us although we were Full with it.
	DRUnlistedRestarts uint64 `json:"dr_unlisted_restarts"`
	// EarlyTries counts withdrawals sent before MinLSInterval allowed
	// (docs/failover-timing.md); EarlyTaken those acknowledged before the
	// routers' MinLSArrival had passed, EarlyResends those sent again when
	// it had.
	EarlyTries   uint64 `json:"early_tries"`
	EarlyTaken   uint64 `json:"early_taken"`
	EarlyResends uint64 `json:"early_resends"`
	// NeighborsEvicted counts neighbors dropped from the full neighbor
	// table to make room for a router that lists us or claims DR or BDR.
	NeighborsEvicted uint64 `json:"neighbors_evicted"`
}

// LSDBEntry is one LSA of the database as `anycostd lsdb` shows it.
type LSDBEntry struct {
	Scope     string `json:"scope"`
	Type      string `json:"type"`
	TypeCode  uint16 `json:"type_code"`
	LSID      string `json:"ls_id"`
	AdvRouter string `json:"adv_router"`
	Age       uint16 `json:"age"`
	Seq       string `json:"seq"` // hex like FRR, e.g. 80000003
	Checksum  string `json:"checksum"`
	Length    uint16 `json:"length"`
	Self      bool   `json:"self"`
	// Summary is a one-line decoding of the body (prefixes, metrics, links).
	Summary string `json:"summary,omitempty"`
}
