package packet

import (
	"encoding/binary"
	"fmt"

	"github.com/anycostd/anycostd/lsa"
)

// lsrEntryLen is the size of one Link State Request entry.
const lsrEntryLen = 12

// LinkStateRequest is the Link State Request packet of RFC 5340 A.3.4. Each
// entry is 2 reserved bytes, the LS type, the Link State ID and the
// Advertising Router.
type LinkStateRequest struct {
	Header
	Requests []lsa.Key
}

func (*LinkStateRequest) packetType() Type { return TypeLinkStateRequest }

func (p *LinkStateRequest) bodyLen() int { return lsrEntryLen * len(p.Requests) }

func (p *LinkStateRequest) appendBody(b []byte) ([]byte, error) {
	for _, k := range p.Requests {
		b = append(b, 0, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(k.Type))
		b = binary.BigEndian.AppendUint32(b, k.ID)
		b = binary.BigEndian.AppendUint32(b, k.AdvRouter)
	}
	return b, nil
}

func (p *LinkStateRequest) parseBody(b []byte) error {
	if len(b)%lsrEntryLen != 0 {
		return fmt.Errorf("lsreq: %d bytes of requests is not a multiple of %d: %w", len(b), lsrEntryLen, ErrBadLength)
	}
	if len(b) == 0 {
		return nil
	}
	p.Requests = make([]lsa.Key, 0, len(b)/lsrEntryLen)
	for ; len(b) > 0; b = b[lsrEntryLen:] {
		p.Requests = append(p.Requests, lsa.Key{
			Type:      lsa.Type(binary.BigEndian.Uint16(b[2:4])),
			ID:        binary.BigEndian.Uint32(b[4:8]),
			AdvRouter: binary.BigEndian.Uint32(b[8:12]),
		})
	}
	return nil
}

// MaxRequestsPerLSR returns how many requests fit in one Link State Request
// packet on a link of the given MTU (IPv6 header of 40 bytes, no extension
// headers), or 0 when none does.
func MaxRequestsPerLSR(mtu int) int {
	return fitEntries(mtu, 0, lsrEntryLen)
}
