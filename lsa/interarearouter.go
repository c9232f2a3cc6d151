package lsa

import (
	"encoding/binary"
	"fmt"
)

// interAreaRouterLen is the length of an Inter-Area-Router-LSA body.
const interAreaRouterLen = 12

// InterAreaRouter is the body of an Inter-Area-Router-LSA (RFC 5340 A.4.6),
// originated by an area border router for an AS boundary router outside the
// area.
type InterAreaRouter struct {
	// Options are those of the destination router.
	Options Options
	// Metric is the cost to the destination router, 24 bits.
	Metric uint32
	// DestRouterID is the router ID of the destination router.
	DestRouterID uint32
}

// Type returns TypeInterAreaRouter.
func (*InterAreaRouter) Type() Type { return TypeInterAreaRouter }

// String describes the body, e.g. "router 192.0.2.5 metric 20 options V6|E|R".
func (r *InterAreaRouter) String() string {
	if r == nil {
		return "<nil>"
	}
	return fmt.Sprintf("router %s metric %d options %s", IDString(r.DestRouterID), r.Metric, r.Options)
}

func parseInterAreaRouter(b []byte) (*InterAreaRouter, error) {
	if len(b) < interAreaRouterLen {
		return nil, fmt.Errorf("inter-area-router: body needs %d bytes, have %d: %w", interAreaRouterLen, len(b), ErrTruncated)
	}
	if len(b) > interAreaRouterLen {
		return nil, fmt.Errorf("inter-area-router: %d bytes after the body: %w", len(b)-interAreaRouterLen, ErrBadLength)
	}
	return &InterAreaRouter{ // b[0] and b[4] are reserved
		Options:      Options(get24(b[1:4])),
		Metric:       get24(b[5:8]),
		DestRouterID: binary.BigEndian.Uint32(b[8:12]),
	}, nil
}

func (r *InterAreaRouter) check() error {
	if r == nil {
		return fmt.Errorf("inter-area-router: nil body: %w", ErrBadField)
	}
	if err := checkOptions(r.Options); err != nil {
		return fmt.Errorf("inter-area-router: %w", err)
	}
	if err := check24("metric", r.Metric); err != nil {
		return fmt.Errorf("inter-area-router: %w", err)
	}
	return nil
}

func (r *InterAreaRouter) appendTo(b []byte) []byte {
	b = append(b, 0)
	b = append24(b, uint32(r.Options))
	b = append(b, 0)
	b = append24(b, r.Metric)
	return binary.BigEndian.AppendUint32(b, r.DestRouterID)
}
