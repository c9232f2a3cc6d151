package metrics

import (
	"context"

	"github.com/anycostd/anycostd/ndproxy"
)

// NDSource gives the ND speaker's status (*ndproxy.Speaker has it).
type NDSource interface {
	Status(ctx context.Context) (ndproxy.Status, error)
}

// ndStates are the scheduler's states, in ndproxy's order.
var ndStates = []string{
	ndproxy.StateWithdrawn.String(), ndproxy.StateIdle.String(),
	ndproxy.StateActive.String(), ndproxy.StateStandby.String(),
}

// ndIdleCauses are the reasons a service can be idle.
var ndIdleCauses = []string{
	ndproxy.IdleOffLink.String(), ndproxy.IdleNoSolicitation.String(), ndproxy.IdleOtherAddresses.String(),
}

// The ND mode's metrics (services with mode = "nd"), in docs/metrics.md
// with the others.
var (
	ndMinGap = gauge("anycostd_nd_min_gap_seconds",
		"[nd] min_gap: the least time between two Neighbor Advertisements for a service address on the link.", "interface")
	ndIn = counter("anycostd_nd_messages_received_total",
		"Neighbor Solicitations and Advertisements for the ND services' addresses received and used, by type (ns, na, na_solicited, na_unicast).", "type")
	ndOut = counter("anycostd_nd_messages_sent_total",
		"ND messages sent, by type (turn: unsolicited NA, answer: solicited NA, call: NS to the peers).", "type")
	ndIgnored = counter("anycostd_nd_messages_ignored_total",
		"Received NS and NA ignored, by reason (malformed, hop_limit: from off-link, code, invalid, other_target, self, ...).", "reason")
	ndNSHeard = counter("anycostd_nd_solicitations_heard_total",
		"Neighbor Solicitations heard on the ND interface, for any target (none at all: the router has not resolved anything there).")

	ndState = gauge("anycostd_nd_service_state",
		"1 for the ND service's current state (withdrawn, idle, active, standby), 0 for the others.", "service", "state")
	ndIdle = gauge("anycostd_nd_service_idle_cause",
		"While the service is idle (the router has not solicited its address): 1 for the likely cause (off_link, no_solicitation, other_addresses), 0 for the others; absent otherwise.", "service", "cause")
	ndWeight = gauge("anycostd_nd_service_weight",
		"Weight of the ND service: decided metric / lightest tier's metric (1..16); a server with weight w takes turns in proportion to 1/w.", "service")
	ndMeanWait = gauge("anycostd_nd_service_turn_wait_mean_seconds",
		"Mean time from the last NA for the address on the link to this server's next turn if no peer sends first: min_gap x (1 + weight x 0.98).", "service")
	ndMaxWait = gauge("anycostd_nd_service_turn_wait_max_seconds",
		"Longest time from the last NA on the link to this server's next turn: min_gap x (1 + 4 x weight) plus a round of the send grid.", "service")
	ndHolder = gauge("anycostd_nd_service_holder",
		"1 while the last NA with Override for the address on the link was this server's (the router sends the queries here), 0 otherwise.", "service")
	ndPeers = gauge("anycostd_nd_service_peers",
		"Other servers heard advertising the address (the send grid, without this server).", "service")
	ndLastTurn = gauge("anycostd_nd_service_last_turn_timestamp_seconds",
		"Unix time of this server's last turn; absent before the first.", "service")
	ndTurns = counter("anycostd_nd_service_turns_total",
		"Turns taken: unsolicited NAs with Override sent for the address.", "service")
	ndTurnsEnded = counter("anycostd_nd_service_turns_ended_total",
		"Turns that ended (the next NA for the address on the link, or the server left the active state).", "service")
	ndHeld = counter("anycostd_nd_service_turn_seconds_total",
		"Total length of the turns that ended; divided by anycostd_nd_service_turns_ended_total: the mean turn length.", "service")
	ndTakeovers = counter("anycostd_nd_service_takeovers_total",
		"Turns that took the address from another server.", "service")
	ndAnswers = counter("anycostd_nd_service_solicitations_answered_total",
		"Neighbor Solicitations for the address answered with a solicited NA.", "service")
	ndSolicits = counter("anycostd_nd_service_solicitations_total",
		"Neighbor Solicitations for the address heard (the router's and the peers' calls).", "service")
	ndUnanswered = counter("anycostd_nd_service_solicitations_unanswered_total",
		"Neighbor Solicitations for the address left unanswered because the service was withdrawn.", "service")
	ndPeerNAs = counter("anycostd_nd_service_peer_advertisements_total",
		"NAs for the address heard from other servers.", "service")
	ndCalls = counter("anycostd_nd_service_calls_total",
		"Calls sent: NS for the address to its solicited-node group, asking the peers to take a turn or to leave standby.", "service")
	ndQueries = counter("anycostd_nd_service_queries_total",
		"Packets to the service address counted on the ND interface (the queries the router sent here).", "service")
	ndStandbys = counter("anycostd_nd_service_standbys_total",
		"Times the service went to standby (no query for standby_after).", "service")
)

var ndDescs = []desc{
	ndMinGap, ndIn, ndOut, ndIgnored, ndNSHeard,
	ndState, ndIdle, ndWeight, ndMeanWait, ndMaxWait, ndHolder, ndPeers, ndLastTurn,
	ndTurns, ndTurnsEnded, ndHeld, ndTakeovers, ndAnswers, ndSolicits, ndUnanswered,
	ndPeerNAs, ndCalls, ndQueries, ndStandbys,
}

func collectND(emit emitFunc, st *ndproxy.Status) {
	emit(ndMinGap, st.MinGap.Seconds(), st.Interface)
	emitByLabel(emit, ndIn, st.Counters.In)
	emitByLabel(emit, ndOut, st.Counters.Out)
	emitByLabel(emit, ndIgnored, st.Counters.Dropped)
	emit(ndNSHeard, float64(st.Solicitations))
	for i := range st.Services {
		s := &st.Services[i]
		name := s.Name
		emitStateSet(emit, ndState, ndStates, s.State, name)
		if s.IdleCause != "" {
			emitStateSet(emit, ndIdle, ndIdleCauses, s.IdleCause, name)
		}
		emit(ndWeight, s.Weight, name)
		emit(ndMeanWait, s.Timing.MeanWait.Seconds(), name)
		emit(ndMaxWait, s.Timing.MaxWait.Seconds(), name)
		emit(ndHolder, b2f(s.HolderSelf), name)
		emit(ndPeers, float64(len(s.Peers)), name)
		if !s.LastTurn.IsZero() {
			emit(ndLastTurn, float64(s.LastTurn.UnixMilli())/1e3, name)
		}
		ss := &s.Stats
		emit(ndTurns, float64(ss.Turns), name)
		emit(ndTurnsEnded, float64(ss.TurnsEnded), name)
		emit(ndHeld, ss.Held.Seconds(), name)
		emit(ndTakeovers, float64(ss.Takeovers), name)
		emit(ndAnswers, float64(ss.Answers), name)
		emit(ndSolicits, float64(ss.Solicits), name)
		emit(ndUnanswered, float64(ss.Ignored), name)
		emit(ndPeerNAs, float64(ss.PeerNAs), name)
		emit(ndCalls, float64(ss.Calls), name)
		emit(ndQueries, float64(ss.Queries), name)
		emit(ndStandbys, float64(ss.Standbys), name)
	}
}
