package packet

import (
	"encoding/binary"
	"fmt"

	"github.com/anycostd/anycostd/lsa"
)

// LinkStateUpdate is the Link State Update packet of RFC 5340 A.3.5. Each
// element of LSAs is exactly one whole LSA: its 20-byte header and body, as
// many bytes as the header's length field says. Package lsa decodes them.
//
// ParsePacket returns elements that are sub-slices of its input, each with
// its capacity cut at its own end, so appending to one never overwrites the
// next; copy an element to keep it beyond the input buffer's life.
type LinkStateUpdate struct {
	Header
	LSAs [][]byte
}

func (*LinkStateUpdate) packetType() Type { return TypeLinkStateUpdate }

func (p *LinkStateUpdate) bodyLen() int {
	n := 4
	for _, l := range p.LSAs {
		n += len(l)
	}
	return n
}

func (p *LinkStateUpdate) appendBody(b []byte) ([]byte, error) {
	for i, l := range p.LSAs {
		if len(l) < lsa.HeaderLen {
			return nil, fmt.Errorf("lsupdate: lsa %d: %d bytes, below the %d-byte header: %w", i, len(l), lsa.HeaderLen, ErrBadLength)
		}
		if n := int(binary.BigEndian.Uint16(l[18:20])); n != len(l) {
			return nil, fmt.Errorf("lsupdate: lsa %d: length field %d but %d bytes: %w", i, n, len(l), ErrBadLength)
		}
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.LSAs)))
	for _, l := range p.LSAs {
		b = append(b, l...)
	}
	return b, nil
}

func (p *LinkStateUpdate) parseBody(b []byte) error {
	if len(b) < 4 {
		return fmt.Errorf("lsupdate: body needs 4 bytes for the LSA count, have %d: %w", len(b), ErrTruncated)
	}
	count := binary.BigEndian.Uint32(b[0:4])
	b = b[4:]
	// Each LSA takes at least a header: never trust count for the allocation.
	if c := uint64(count); c > 0 {
		p.LSAs = make([][]byte, 0, min(c, uint64(len(b)/lsa.HeaderLen)))
	}
	off := HeaderLen + 4 // offset in the packet, for error messages
	for i := uint32(0); i < count; i++ {
		if len(b) < lsa.HeaderLen {
			return fmt.Errorf("lsupdate: lsa %d at offset %d: count %d but only %d bytes left: %w", i, off, count, len(b), ErrTruncated)
		}
		n := int(binary.BigEndian.Uint16(b[18:20]))
		if n < lsa.HeaderLen {
			return fmt.Errorf("lsupdate: lsa %d at offset %d: length %d below %d: %w", i, off, n, lsa.HeaderLen, ErrBadLength)
		}
		if n > len(b) {
			return fmt.Errorf("lsupdate: lsa %d at offset %d: length %d but %d bytes left: %w", i, off, n, len(b), ErrTruncated)
		}
		p.LSAs = append(p.LSAs, b[:n:n])
		b = b[n:]
		off += n
	}
	if len(b) != 0 {
		return fmt.Errorf("lsupdate: %d bytes after the %d LSAs the count announces: %w", len(b), count, ErrBadLength)
	}
	return nil
}
