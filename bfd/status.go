package bfd

import (
	"maps"
	"time"
)

// Status is a snapshot of a speaker, taken by its owning goroutine. The
// JSON field names are meant as a stable schema for `anycostd status`.
type Status struct {
	Interface string          `json:"interface"`
	Sessions  []SessionStatus `json:"sessions"` // sorted by peer
	// Dropped counts the packets no session could take (unknown peer or
	// discriminator, bad packets from unknown sources), by reason.
	Dropped map[string]uint64 `json:"dropped"`
	// StateChanges counts the state changes of every session the speaker
	// had (removed ones included), by the state entered.
	StateChanges map[string]uint64 `json:"state_changes"`
}

// SessionStatus describes one session.
type SessionStatus struct {
	Peer        string `json:"peer"` // link-local address, without zone
	State       string `json:"state"`
	RemoteState string `json:"remote_state"`
	// Since is when the session entered State.
	Since              time.Time `json:"since"`
	LocalDiscriminator uint32    `json:"local_discriminator"`
	// RemoteDiscriminator is 0 until the peer is heard, and again after a
	// detection time without its packets.
	RemoteDiscriminator uint32 `json:"remote_discriminator"`
	// Diag is the current local diagnostic (bfd.LocalDiag); RemoteDiag
	// the peer's last; LastDownDiag why the session last left Up.
	Diag         string `json:"diag"`
	RemoteDiag   string `json:"remote_diag"`
	LastDownDiag string `json:"last_down_diag,omitempty"`
	// What we advertise (Desired Min TX is at least 1 s while not Up).
	DesiredMinTx  time.Duration `json:"desired_min_tx_ns"`
	RequiredMinRx time.Duration `json:"required_min_rx_ns"`
	Multiplier    uint8         `json:"multiplier"`
	// What the peer advertised last.
	RemoteDesiredMinTx  time.Duration `json:"remote_desired_min_tx_ns"`
	RemoteRequiredMinRx time.Duration `json:"remote_required_min_rx_ns"`
	RemoteMultiplier    uint8         `json:"remote_multiplier"`
	// Negotiated: our transmission interval (before jitter), the peer's,
	// and the detection time (0 until the peer is heard).
	TxInterval time.Duration `json:"tx_interval_ns"`
	RxInterval time.Duration `json:"rx_interval_ns"`
	DetectTime time.Duration `json:"detect_time_ns"`
	// Polling: a Poll Sequence of ours awaits its Final.
	Polling bool `json:"polling"`
	// Ups counts transitions into Up; Downs (flaps) transitions from Up to
	// Down.
	Ups      uint64   `json:"ups"`
	Downs    uint64   `json:"downs"`
	Counters Counters `json:"counters"`
}

// Counters count a session's packets, or the speaker's that no session
// took.
type Counters struct {
	PacketsIn  uint64            `json:"packets_in"`
	PacketsOut uint64            `json:"packets_out"`
	Dropped    map[string]uint64 `json:"dropped"` // by reason
}

// status takes the snapshot.
func (e *engine) status() Status {
	st := Status{Interface: e.cfg.Interface, Dropped: e.cnt.snapshot().Dropped, Sessions: []SessionStatus{},
		StateChanges: maps.Clone(e.changes)}
	for _, s := range e.order {
		ss := SessionStatus{
			Peer:                s.peer.WithZone("").String(),
			State:               s.state.String(),
			RemoteState:         s.remoteState.String(),
			Since:               s.since,
			LocalDiscriminator:  s.localDiscr,
			RemoteDiscriminator: s.remoteDiscr,
			Diag:                s.localDiag.String(),
			RemoteDiag:          s.remoteDiag.String(),
			DesiredMinTx:        s.desiredMinTx,
			RequiredMinRx:       s.requiredMinRx,
			Multiplier:          s.detectMult,
			RemoteDesiredMinTx:  s.remoteDesiredTx,
			RemoteRequiredMinRx: s.remoteMinRx,
			RemoteMultiplier:    s.remoteMult,
			TxInterval:          s.period(),
			RxInterval:          s.rxInterval(),
			DetectTime:          s.detectTime(),
			Polling:             s.polling,
			Ups:                 s.ups,
			Downs:               s.downs,
			Counters:            s.cnt.snapshot(),
		}
		if s.downs > 0 {
			ss.LastDownDiag = s.lastDownDiag.String()
		}
		st.Sessions = append(st.Sessions, ss)
	}
	return st
}
