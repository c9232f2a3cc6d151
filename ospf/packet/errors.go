package packet

import "errors"

// Sentinel errors; callers match them with errors.Is. Every error returned by
// this package wraps one of them and says where the problem was, e.g.
// "lsupdate: lsa 3 at offset 116: length 12 below 20: packet: bad length".
var (
	// ErrTruncated: the buffer ends before a length field or count says it should.
	ErrTruncated = errors.New("packet: truncated")
	// ErrBadLength: a length field is impossible, or a body is not consumed
	// exactly by the entries it is made of.
	ErrBadLength = errors.New("packet: bad length")
	// ErrVersion: the version field is not 3.
	ErrVersion = errors.New("packet: not OSPF version 3")
	// ErrUnknownType: the packet type is not one of RFC 5340 A.3.
	ErrUnknownType = errors.New("packet: unknown packet type")
	// ErrBadField: a value handed to MarshalPacket does not fit its field
	// (Options wider than 24 bits, reserved DD flag bits, a Header.Type that
	// contradicts the packet's type, a nil packet).
	ErrBadField = errors.New("packet: bad field")
)
