package bfd

import "fmt"

// State is a session state (RFC 5880 4.1 Sta, 6.2): the local
// bfd.SessionState or the one a packet carries.
type State uint8

// The session states of RFC 5880 4.1.
const (
	StateAdminDown State = 0
	StateDown      State = 1
	StateInit      State = 2
	StateUp        State = 3
)

func (s State) String() string {
	switch s {
	case StateAdminDown:
		return "AdminDown"
	case StateDown:
		return "Down"
	case StateInit:
		return "Init"
	case StateUp:
		return "Up"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Diag is a diagnostic code (RFC 5880 4.1 Diag): why the sender's session
// last left Up. Codes 9-31 are reserved; they parse and print as numbers.
type Diag uint8

// The diagnostic codes of RFC 5880 4.1.
const (
	DiagNone                  Diag = 0
	DiagTimeExpired           Diag = 1 // Control Detection Time Expired
	DiagEchoFailed            Diag = 2 // Echo Function Failed
	DiagNeighborDown          Diag = 3 // Neighbor Signaled Session Down
	DiagForwardingReset       Diag = 4 // Forwarding Plane Reset
	DiagPathDown              Diag = 5 // Path Down
	DiagConcatenatedPathDown  Diag = 6 // Concatenated Path Down
	DiagAdminDown             Diag = 7 // Administratively Down
	DiagReverseConcatPathDown Diag = 8 // Reverse Concatenated Path Down
	maxDiag                   Diag = 31
)

var diagNames = [...]string{
	DiagNone:                  "none",
	DiagTimeExpired:           "detection-time-expired",
	DiagEchoFailed:            "echo-failed",
	DiagNeighborDown:          "neighbor-down",
	DiagForwardingReset:       "forwarding-plane-reset",
	DiagPathDown:              "path-down",
	DiagConcatenatedPathDown:  "concatenated-path-down",
	DiagAdminDown:             "admin-down",
	DiagReverseConcatPathDown: "reverse-concatenated-path-down",
}

func (d Diag) String() string {
	if int(d) < len(diagNames) {
		return diagNames[d]
	}
	return fmt.Sprintf("Diag(%d)", uint8(d))
}
