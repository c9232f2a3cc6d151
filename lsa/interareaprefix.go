package lsa

import "fmt"

// InterAreaPrefix is the body of an Inter-Area-Prefix-LSA (RFC 5340 A.4.5),
// originated by an area border router for a prefix outside the area.
type InterAreaPrefix struct {
	// Metric is the cost to the prefix, 24 bits.
	Metric uint32
	// Prefix is the destination; its Metric field is reserved (0).
	Prefix Prefix
}

// Type returns TypeInterAreaPrefix.
func (*InterAreaPrefix) Type() Type { return TypeInterAreaPrefix }

// String describes the body, e.g. "2001:db8::/32 metric 20 options NU".
func (p *InterAreaPrefix) String() string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s metric %d%s", p.Prefix.Prefix, p.Metric, p.Prefix.optionsSuffix())
}

func parseInterAreaPrefix(b []byte) (*InterAreaPrefix, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("inter-area-prefix: body needs 4 bytes, have %d: %w", len(b), ErrTruncated)
	}
	p, n, err := parsePrefix(b[4:])
	if err != nil {
		return nil, fmt.Errorf("inter-area-prefix: %w", err)
	}
	if 4+n != len(b) {
		return nil, fmt.Errorf("inter-area-prefix: %d bytes after the prefix: %w", len(b)-4-n, ErrBadLength)
	}
	return &InterAreaPrefix{Metric: get24(b[1:4]), Prefix: p}, nil // b[0] is reserved
}

func (p *InterAreaPrefix) check() error {
	if p == nil {
		return fmt.Errorf("inter-area-prefix: nil body: %w", ErrBadField)
	}
	if err := check24("metric", p.Metric); err != nil {
		return fmt.Errorf("inter-area-prefix: %w", err)
	}
	if err := checkPrefix(p.Prefix.Prefix); err != nil {
		return fmt.Errorf("inter-area-prefix: %w", err)
	}
	return nil
}

func (p *InterAreaPrefix) appendTo(b []byte) []byte {
	b = append(b, 0)
	b = append24(b, p.Metric)
	return appendPrefix(b, p.Prefix, p.Prefix.Metric)
}
