package ndproxy

import "strconv"

// State is where one service's scheduler stands.
type State uint8

// Scheduler states.
const (
	// StateWithdrawn: the service does not run. Nothing is sent and
	// Neighbor Solicitations for its address go unanswered.
	StateWithdrawn State = iota
	// StateIdle: the service runs but the router has not asked for it yet:
	// waiting for a Neighbor Solicitation, a query or a peer's NA.
	StateIdle
	// StateActive: taking turns with unsolicited NAs.
	StateActive
	// StateStandby: no query for standby_after; silent until the router's
	// next Neighbor Solicitation or a query.
	StateStandby
)

func (s State) String() string {
	switch s {
	case StateWithdrawn:
		return "withdrawn"
	case StateIdle:
		return "idle"
	case StateActive:
		return "active"
	case StateStandby:
		return "standby"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// ActionKind is what a Scheduler asks its caller to send.
type ActionKind uint8

// Action kinds.
const (
	// ActAdvertise: an unsolicited NA to ff02::1, Override set, target the
	// service address, the server's own link-layer address: a turn (the
	// ND proxy message).
	ActAdvertise ActionKind = iota + 1
	// ActAnswer: a solicited NA to Action.To (RFC 4861 section 7.2.4).
	ActAnswer
	// ActCall: a Neighbor Solicitation for the service address to its
	// solicited-node group, which wakes peers in standby and makes active
	// peers take an early turn.
	ActCall
)

func (k ActionKind) String() string {
	switch k {
	case ActAdvertise:
		return "advertise"
	case ActAnswer:
		return "answer"
	case ActCall:
		return "call"
	}
	return "ActionKind(" + strconv.Itoa(int(k)) + ")"
}

// IdleCause says why a running service is idle (StateIdle): why the
// router has not solicited its address.
type IdleCause uint8

// Idle causes.
const (
	// IdleNone: the service is not idle.
	IdleNone IdleCause = iota
	// IdleOffLink: the address is outside the interface's prefixes, so
	// the router routes it elsewhere instead of resolving it on the link.
	IdleOffLink
	// IdleNoSolicitation: no Neighbor Solicitation for any address has
	// reached the interface: no client has queried the address yet, or
	// the router is not on this link.
	IdleNoSolicitation
	// IdleOtherAddresses: the router solicits other addresses but not
	// this one: no query for it yet, or the router's entry for it points
	// to a node outside the farm.
	IdleOtherAddresses
)

func (c IdleCause) String() string {
	switch c {
	case IdleNone:
		return "none"
	case IdleOffLink:
		return "off_link"
	case IdleNoSolicitation:
		return "no_solicitation"
	case IdleOtherAddresses:
		return "other_addresses"
	}
	return "IdleCause(" + strconv.Itoa(int(c)) + ")"
}
