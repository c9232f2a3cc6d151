package bfd

import (
	"errors"
	"maps"
)

// counters count one session's packets, or the engine's that no session
// took.
type counters struct {
	packetsIn, packetsOut uint64
	dropped               map[string]uint64 // by reason
}

func newCounters() counters { return counters{dropped: make(map[string]uint64)} }

func (c *counters) snapshot() Counters {
	return Counters{PacketsIn: c.packetsIn, PacketsOut: c.packetsOut, Dropped: maps.Clone(c.dropped)}
}

// Drop reasons: the codec's checks (RFC 5880 6.8.6 steps 1-6, 8), then
// the engine's.
const (
	dropTruncated      = "truncated"
	dropBadLength      = "bad-length"
	dropVersion        = "version"
	dropDetectMult     = "detect-mult-zero"
	dropMultipoint     = "multipoint"
	dropMyDiscr        = "my-discriminator-zero"
	dropYourDiscr      = "your-discriminator-zero"
	dropUndecodable    = "undecodable"
	dropHopLimit       = "hop-limit"             // RFC 5881 5: below 255
	dropUnknownDiscr   = "unknown-discriminator" // 6.8.6 step 7
	dropUnknownPeer    = "unknown-peer"          // step 9: no session for the source
	dropWrongSource    = "wrong-source"          // discriminator of another peer's session
	dropAuthentication = "authentication"        // step 10: A bit, none in use
	dropAdminDown      = "admin-down"            // step 21
	dropSendError      = "send-error"            // a packet we could not send
)

// parseDropReason names the codec error err.
func parseDropReason(err error) string {
	for _, r := range []struct {
		err    error
		reason string
	}{
		{ErrTruncated, dropTruncated}, {ErrBadLength, dropBadLength}, {ErrVersion, dropVersion},
		{ErrDetectMult, dropDetectMult}, {ErrMultipoint, dropMultipoint},
		{ErrMyDiscriminator, dropMyDiscr}, {ErrYourDiscriminator, dropYourDiscr},
	} {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	return dropUndecodable
}
