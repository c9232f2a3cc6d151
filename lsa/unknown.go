package lsa

import "fmt"

// Unknown is the body of an LSA of a type this package does not decode. It
// keeps the bytes so the LSA can be stored and flooded as RFC 5340 4.5.1
// says: per its scope bits when its U bit is set, with link-local scope
// otherwise.
type Unknown struct {
	LSType Type
	Data   []byte
}

// Type returns u.LSType.
func (u *Unknown) Type() Type {
	if u == nil {
		return 0
	}
	return u.LSType
}

// String describes the body, e.g. "unknown type 0xa00a (U, area scope), 8 bytes".
func (u *Unknown) String() string {
	if u == nil {
		return "<nil>"
	}
	handling := "link scope"
	if u.LSType.UBit() {
		handling = "U, " + u.LSType.Scope().String() + " scope"
	}
	return fmt.Sprintf("unknown type %#04x (%s), %d bytes", uint16(u.LSType), handling, len(u.Data))
}

func (u *Unknown) check() error {
	if u == nil {
		return fmt.Errorf("unknown lsa: nil body: %w", ErrBadField)
	}
	return nil
}

func (u *Unknown) appendTo(b []byte) []byte { return append(b, u.Data...) }
