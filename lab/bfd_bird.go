package lab

import (
	"net/netip"
	"strings"
)

// BIRDBFDSession is one line of `birdc show bfd sessions` (BIRD 2.0.12).
type BIRDBFDSession struct {
	Peer, Interface, State string
	Interval, Timeout      string // as BIRD prints them, in seconds
}

// BFDSessions returns the sessions of every bfd protocol.
func (b *BIRD) BFDSessions() ([]BIRDBFDSession, error) {
	out, err := b.Birdc("show bfd sessions")
	if err != nil {
		return nil, err
	}
	return parseBIRDBFDSessions(out), nil
}

// BFDSession returns the session with peer (ok false: none).
func (b *BIRD) BFDSession(peer netip.Addr) (BIRDBFDSession, bool, error) {
	sessions, err := b.BFDSessions()
	if err != nil {
		return BIRDBFDSession{}, false, err
	}
	for _, s := range sessions {
		if a, err := netip.ParseAddr(s.Peer); err == nil && a == peer.WithZone("") {
			return s, true, nil
		}
	}
	return BIRDBFDSession{}, false, nil
}

// parseBIRDBFDSessions parses the session lines of `show bfd sessions`:
//
//	IP address                Interface  State      Since         Interval  Timeout
//	fe80::1                   eth0       Up         22:05:01.123    0.050    0.150
func parseBIRDBFDSessions(out string) []BIRDBFDSession {
	var ss []BIRDBFDSession
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && strings.Contains(f[0], ":") {
			ss = append(ss, BIRDBFDSession{Peer: f[0], Interface: f[1], State: f[2], Interval: f[4], Timeout: f[5]})
		}
	}
	return ss
}
