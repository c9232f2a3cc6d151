package packet

import (
	"encoding/binary"
	"fmt"

	"github.com/anycostd/anycostd/lsa"
)

// helloFixedLen is the length of the Hello body before the neighbor list.
const helloFixedLen = 20

// Hello is the Hello packet of RFC 5340 A.3.2.
type Hello struct {
	Header
	InterfaceID   uint32
	Priority      uint8       // Rtr Priority; 0 never becomes DR or BDR
	Options       lsa.Options // 24 bits
	HelloInterval uint16      // seconds
	DeadInterval  uint16      // RouterDeadInterval, seconds
	DR, BDR       uint32      // router IDs, 0 when none
	Neighbors     []uint32    // router IDs heard from on the link
}

func (*Hello) packetType() Type { return TypeHello }

func (p *Hello) bodyLen() int { return helloFixedLen + 4*len(p.Neighbors) }

func (p *Hello) appendBody(b []byte) ([]byte, error) {
	if err := checkOptions("hello", p.Options); err != nil {
		return nil, err
	}
	b = binary.BigEndian.AppendUint32(b, p.InterfaceID)
	b = append(b, p.Priority)
	b = appendOptions(b, p.Options)
	b = binary.BigEndian.AppendUint16(b, p.HelloInterval)
	b = binary.BigEndian.AppendUint16(b, p.DeadInterval)
	b = binary.BigEndian.AppendUint32(b, p.DR)
	b = binary.BigEndian.AppendUint32(b, p.BDR)
	for _, n := range p.Neighbors {
		b = binary.BigEndian.AppendUint32(b, n)
	}
	return b, nil
}

func (p *Hello) parseBody(b []byte) error {
	if len(b) < helloFixedLen {
		return fmt.Errorf("hello: body needs %d bytes, have %d: %w", helloFixedLen, len(b), ErrTruncated)
	}
	p.InterfaceID = binary.BigEndian.Uint32(b[0:4])
	p.Priority = b[4]
	p.Options = parseOptions(b[5:8])
	p.HelloInterval = binary.BigEndian.Uint16(b[8:10])
	p.DeadInterval = binary.BigEndian.Uint16(b[10:12])
	p.DR = binary.BigEndian.Uint32(b[12:16])
	p.BDR = binary.BigEndian.Uint32(b[16:20])
	rest := b[helloFixedLen:]
	if len(rest)%4 != 0 {
		return fmt.Errorf("hello: %d bytes of neighbor IDs is not a multiple of 4: %w", len(rest), ErrBadLength)
	}
	if len(rest) > 0 {
		p.Neighbors = make([]uint32, 0, len(rest)/4)
		for ; len(rest) > 0; rest = rest[4:] {
			p.Neighbors = append(p.Neighbors, binary.BigEndian.Uint32(rest[:4]))
		}
	}
	return nil
}
