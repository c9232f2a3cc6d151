package bfd

import (
	"net/netip"
	"time"
)

// session is one BFD session with one peer: the state variables of RFC
// 5880 6.8.1, its timers and its counters. The engine owns it.
type session struct {
	peer netip.Addr // link-local, zoned with the interface name

	// RFC 5880 6.8.1 state variables.
	state         State         // bfd.SessionState
	remoteState   State         // bfd.RemoteSessionState
	localDiscr    uint32        // bfd.LocalDiscr
	remoteDiscr   uint32        // bfd.RemoteDiscr
	localDiag     Diag          // bfd.LocalDiag
	desiredMinTx  time.Duration // bfd.DesiredMinTxInterval, as advertised
	requiredMinRx time.Duration // bfd.RequiredMinRxInterval, as advertised
	remoteMinRx   time.Duration // bfd.RemoteMinRxInterval
	remoteDemand  bool          // bfd.RemoteDemandMode
	detectMult    uint8         // bfd.DetectMult

	// From the peer's last packet: its Desired Min TX, Detect Mult and
	// diagnostic.
	remoteDesiredTx time.Duration
	remoteMult      uint8
	remoteDiag      Diag

	// Poll Sequence (RFC 5880 6.5) and the values in force while it runs
	// (6.8.3): txInUse is the Desired Min TX the transmission interval is
	// computed from, rxInUse the Required Min RX the detection time is.
	// pollTx and pollRx are the values the running Poll carries.
	polling          bool
	pollTx, pollRx   time.Duration
	txInUse, rxInUse time.Duration

	// Timers; zero when not armed.
	txAt     time.Time // next periodic transmission
	detectAt time.Time // detection time expiry (6.8.4)
	// Packets owed at once: one for a state change, a Final for a Poll.
	sendNow, finalOwed bool

	// AdminDown (Shutdown or removal, 6.8.16): AdminDown packets go out
	// every lingerEvery until lingerUntil, then the session ends.
	lingerEvery time.Duration
	lingerUntil time.Time
	removing    bool // delete after the linger instead of keeping it

	// Place in the engine's queue: when tick must look at the session
	// next (zero: never) and the heap index.
	due   time.Time
	index int

	// Status.
	since        time.Time // last state change (creation first)
	ups, downs   uint64    // transitions into Up, and from Up to Down
	lastDownDiag Diag      // LocalDiag of the last Up->Down transition
	cnt          counters
}

// newSession starts a session in Down with the slow transmission rate
// (RFC 5880 6.8.1 initial values, 6.8.3). The first packet leaves at once:
// we take the Active role (6.1), as FRR and BIRD do by default.
func newSession(now time.Time, peer netip.Addr, discr uint32, cfg *Config) *session {
	s := &session{
		peer:          peer,
		state:         StateDown,
		remoteState:   StateDown,
		localDiscr:    discr,
		desiredMinTx:  max(cfg.DesiredMinTx, slowTx),
		requiredMinRx: cfg.RequiredMinRx,
		remoteMinRx:   time.Microsecond, // 6.8.1: initialized to 1
		detectMult:    cfg.Multiplier,
		since:         now,
		txAt:          now,
		cnt:           newCounters(),
	}
	s.txInUse, s.rxInUse = s.desiredMinTx, s.requiredMinRx
	return s
}

// packet builds the control packet of RFC 5880 6.8.7 from the state
// variables. A Final never carries Poll (a system MUST NOT send both).
func (s *session) packet(final bool) ControlPacket {
	return ControlPacket{
		Diag:              s.localDiag,
		State:             s.state,
		Poll:              s.polling && !final,
		Final:             final,
		DetectMult:        s.detectMult,
		MyDiscriminator:   s.localDiscr,
		YourDiscriminator: s.remoteDiscr,
		DesiredMinTx:      s.desiredMinTx,
		RequiredMinRx:     s.requiredMinRx,
		// No Echo function: 0 tells the peer not to send Echo packets.
		RequiredMinEchoRx: 0,
	}
}
