package metrics

import (
	"context"

	"github.com/anycostd/anycostd/bfd"
)

// BFDSource gives the BFD speaker's status (*bfd.Speaker has it).
type BFDSource interface {
	Status(ctx context.Context) (bfd.Status, error)
}

// bfdStates are the session states of RFC 5880 4.1, in its order.
var bfdStates = []string{
	bfd.StateAdminDown.String(), bfd.StateDown.String(), bfd.StateInit.String(), bfd.StateUp.String(),
}

// The BFD sessions' metrics ([ospf.bfd]), in docs/metrics.md with the
// others.
var (
	bfdSessions = gauge("anycostd_bfd_sessions",
		"BFD sessions with the OSPF DR and BDR ([ospf.bfd]), by state (AdminDown, Down, Init, Up).", "state")
	bfdSessionState = gauge("anycostd_bfd_session_state",
		"1 for the session's current state (RFC 5880 4.1), 0 for the others; peer is the neighbor's link-local address.", "peer", "state")
	bfdDetect = gauge("anycostd_bfd_session_detect_time_seconds",
		"Detection time of the session: how long without the peer's packets before it goes Down (0 until the peer is heard).", "peer")
	bfdFlaps = counter("anycostd_bfd_session_flaps_total",
		"Times the session went from Up to Down (starts at 0 with each new session).", "peer")
	bfdChanges = counter("anycostd_bfd_state_changes_total",
		"State changes of every BFD session the daemon had, by the state entered; one log line each.", "state")
	bfdDropped = counter("anycostd_bfd_packets_dropped_total",
		"BFD packets no session took (unknown peer or discriminator, malformed), by reason.", "reason")
)

var bfdDescs = []desc{bfdSessions, bfdSessionState, bfdDetect, bfdFlaps, bfdChanges, bfdDropped}

func collectBFD(emit emitFunc, st *bfd.Status) {
	count := make(map[string]uint64, len(bfdStates))
	for _, s := range bfdStates {
		count[s] = 0
	}
	for _, s := range st.Sessions {
		count[s.State]++
		emitStateSet(emit, bfdSessionState, bfdStates, s.State, s.Peer)
		emit(bfdDetect, s.DetectTime.Seconds(), s.Peer)
		emit(bfdFlaps, float64(s.Downs), s.Peer)
	}
	emitByLabel(emit, bfdSessions, count)
	changes := make(map[string]uint64, len(bfdStates))
	for _, s := range bfdStates {
		changes[s] = st.StateChanges[s]
	}
	emitByLabel(emit, bfdChanges, changes)
	emitByLabel(emit, bfdDropped, st.Dropped)
}
