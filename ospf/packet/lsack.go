package packet

import "github.com/anycostd/anycostd/lsa"

// LinkStateAck is the Link State Acknowledgment packet of RFC 5340 A.3.6: the
// headers of the LSAs being acknowledged.
type LinkStateAck struct {
	Header
	LSAs []lsa.Header
}

func (*LinkStateAck) packetType() Type { return TypeLinkStateAck }

func (p *LinkStateAck) bodyLen() int { return lsa.HeaderLen * len(p.LSAs) }

func (p *LinkStateAck) appendBody(b []byte) ([]byte, error) {
	return appendLSAHeaders("lsack", b, p.LSAs)
}

func (p *LinkStateAck) parseBody(b []byte) error {
	hs, err := parseLSAHeaders("lsack", b)
	if err != nil {
		return err
	}
	p.LSAs = hs
	return nil
}
