package packet

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/anycostd/anycostd/lsa"
)

// dbdFixedLen is the length of the Database Description body before the
// LSA headers.
const dbdFixedLen = 12

// ipv6HeaderLen is the fixed IPv6 header; MTU arithmetic assumes no
// extension headers.
const ipv6HeaderLen = 40

// DDFlags are the Database Description flags of RFC 5340 A.3.3. ParsePacket
// drops the reserved bits; MarshalPacket refuses them.
type DDFlags uint8

// Database Description flag bits.
const (
	DDMaster DDFlags = 0x01 // MS: the sender is the master
	DDMore   DDFlags = 0x02 // M: more DBD packets follow
	DDInit   DDFlags = 0x04 // I: the first packet of the sequence
)

// ddFlagsMask holds the bits RFC 5340 A.3.3 defines; the others are
// reserved: ignored on parse, refused on marshal.
const ddFlagsMask = DDMaster | DDMore | DDInit

// String lists the set flags, e.g. "I|M|MS", or "-" when none is set.
func (f DDFlags) String() string {
	var s []string
	for _, n := range []struct {
		bit  DDFlags
		name string
	}{{DDInit, "I"}, {DDMore, "M"}, {DDMaster, "MS"}} {
		if f&n.bit != 0 {
			s = append(s, n.name)
		}
	}
	if r := f &^ ddFlagsMask; r != 0 {
		s = append(s, fmt.Sprintf("0x%02x", uint8(r)))
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, "|")
}

// DatabaseDescription is the Database Description packet of RFC 5340 A.3.3.
type DatabaseDescription struct {
	Header
	Options lsa.Options // 24 bits
	MTU     uint16      // Interface MTU; 0 on virtual links
	Flags   DDFlags
	Seq     uint32 // DD sequence number
	LSAs    []lsa.Header
}

func (*DatabaseDescription) packetType() Type { return TypeDatabaseDescription }

func (p *DatabaseDescription) bodyLen() int { return dbdFixedLen + lsa.HeaderLen*len(p.LSAs) }

func (p *DatabaseDescription) appendBody(b []byte) ([]byte, error) {
	if err := checkOptions("dbdesc", p.Options); err != nil {
		return nil, err
	}
	if p.Flags&^ddFlagsMask != 0 {
		return nil, fmt.Errorf("dbdesc: reserved flag bits in %v: %w", p.Flags, ErrBadField)
	}
	b = append(b, 0)
	b = appendOptions(b, p.Options)
	b = binary.BigEndian.AppendUint16(b, p.MTU)
	b = append(b, 0, byte(p.Flags))
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	return appendLSAHeaders("dbdesc", b, p.LSAs)
}

func (p *DatabaseDescription) parseBody(b []byte) error {
	if len(b) < dbdFixedLen {
		return fmt.Errorf("dbdesc: body needs %d bytes, have %d: %w", dbdFixedLen, len(b), ErrTruncated)
	}
	p.Options = parseOptions(b[1:4])
	p.MTU = binary.BigEndian.Uint16(b[4:6])
	p.Flags = DDFlags(b[7]) & ddFlagsMask
	p.Seq = binary.BigEndian.Uint32(b[8:12])
	hs, err := parseLSAHeaders("dbdesc", b[dbdFixedLen:])
	if err != nil {
		return err
	}
	p.LSAs = hs
	return nil
}

// MaxLSAHeadersPerDBD returns how many LSA headers fit in one Database
// Description packet on a link of the given MTU: IPv6 header (40 bytes, no
// extension headers), OSPF header and DBD fields, then 20 bytes per header.
// It returns 0 when not even the empty packet fits.
func MaxLSAHeadersPerDBD(mtu int) int {
	return fitEntries(mtu, dbdFixedLen, lsa.HeaderLen)
}

// fitEntries is how many entries of size each fit after fixed body bytes in
// one packet on a link of the given MTU, within the 16-bit length field.
func fitEntries(mtu, fixed, each int) int {
	room := min(mtu-ipv6HeaderLen, maxPacketLen) - HeaderLen - fixed
	if room < 0 {
		return 0
	}
	return room / each
}
