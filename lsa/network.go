package lsa

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Network is the body of a Network-LSA (RFC 5340 A.4.4), originated by a
// link's Designated Router.
type Network struct {
	// Options is the logical OR of the Options of the routers on the link.
	Options Options
	// AttachedRouters are the router IDs of the routers fully adjacent to
	// the DR, the DR included.
	AttachedRouters []uint32
}

// Type returns TypeNetwork.
func (*Network) Type() Type { return TypeNetwork }

// String describes the body, e.g. "options V6|E|R attached 192.0.2.1 192.0.2.11".
func (n *Network) String() string {
	if n == nil {
		return "<nil>"
	}
	if len(n.AttachedRouters) == 0 {
		return fmt.Sprintf("options %s, no attached routers", n.Options)
	}
	s := make([]string, len(n.AttachedRouters))
	for i, r := range n.AttachedRouters {
		s[i] = IDString(r)
	}
	return fmt.Sprintf("options %s attached %s", n.Options, strings.Join(s, " "))
}

func parseNetwork(b []byte) (*Network, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("network-lsa: body needs 4 bytes, have %d: %w", len(b), ErrTruncated)
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("network-lsa: %d bytes of attached routers, not a multiple of 4: %w", len(b)-4, ErrBadLength)
	}
	n := &Network{Options: Options(get24(b[1:4]))} // b[0] is reserved
	if len(b) > 4 {
		n.AttachedRouters = make([]uint32, 0, (len(b)-4)/4)
	}
	for off := 4; off+4 <= len(b); off += 4 {
		n.AttachedRouters = append(n.AttachedRouters, binary.BigEndian.Uint32(b[off:off+4]))
	}
	return n, nil
}

func (n *Network) check() error {
	if n == nil {
		return fmt.Errorf("network-lsa: nil body: %w", ErrBadField)
	}
	if err := checkOptions(n.Options); err != nil {
		return fmt.Errorf("network-lsa: %w", err)
	}
	return nil
}

func (n *Network) appendTo(b []byte) []byte {
	b = append(b, 0)
	b = append24(b, uint32(n.Options))
	for _, r := range n.AttachedRouters {
		b = binary.BigEndian.AppendUint32(b, r)
	}
	return b
}
