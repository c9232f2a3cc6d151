package lab

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// What BIRD's `show ospf ...` and `show route` print, read back.

// BIRDNeighbor is one row of `show ospf neighbors`.
type BIRDNeighbor struct {
	RouterID  string
	Priority  int
	State     string // "Full", "2-Way", "Init", "ExStart", ...
	Role      string // as BIRD shows it after the slash: "DR", "BDR", "Other", "PtP"
	Interface string
	Address   netip.Addr
}

// Neighbors returns the OSPF neighbors BIRD has, from `show ospf
// neighbors`.
func (b *BIRD) Neighbors() ([]BIRDNeighbor, error) {
	out, err := b.Birdc("show ospf neighbors")
	if err != nil {
		return nil, err
	}
	return parseBIRDNeighbors(out)
}

func parseBIRDNeighbors(out string) ([]BIRDNeighbor, error) {
	var ns []BIRDNeighbor
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 6 || f[0] == "Router" {
			continue // the protocol name, the column titles
		}
		prio, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("show ospf neighbors: priority %q in %q", f[1], line)
		}
		addr, err := netip.ParseAddr(f[5])
		if err != nil {
			return nil, fmt.Errorf("show ospf neighbors: address %q in %q", f[5], line)
		}
		state, role, _ := strings.Cut(f[2], "/")
		ns = append(ns, BIRDNeighbor{RouterID: f[0], Priority: prio, State: state, Role: role, Interface: f[4], Address: addr})
	}
	return ns, nil
}

// NeighborState returns BIRD's state for the neighbor with router ID rid
// ("Full", "2-Way", ...), or "" when BIRD does not list it.
func (b *BIRD) NeighborState(rid string) (string, error) {
	ns, err := b.Neighbors()
	if err != nil {
		return "", err
	}
	for _, n := range ns {
		if n.RouterID == rid {
			return n.State, nil
		}
	}
	return "", nil
}

// BIRDRoute is one route of `show route for PREFIX all`.
type BIRDRoute struct {
	Prefix  string
	Proto   string // the protocol instance, e.g. "ospf1"
	Primary bool   // BIRD's "*": the route it selected
	Pref    int    // preference
	Metric  int    // the metric BIRD shows after the preference (OSPF: the route's cost)
	// NextHops are the "via" addresses, sorted.
	NextHops []netip.Addr
}

// birdRouteLine is a route's first line: "2001:db8:53::53/128  unicast
// [ospf1 19:20:46.323] * I (150/20) [192.0.2.12]"; a second route of the
// same network starts with blanks instead of the prefix.
var birdRouteLine = regexp.MustCompile(`^(\S+)?\s+\S+\s+\[(\S+)[^\]]*\]\s+(\*)?.*?\((\d+)(?:/(\d+))?\)`)

// birdVia is a next hop line: "via fe80::1 on eth0 weight 1".
var birdVia = regexp.MustCompile(`^\s+via\s+(\S+)`)

// Routes returns the routes BIRD's table holds for prefix (the longest
// match, as `show route for` finds it). No route gives none and no error.
func (b *BIRD) Routes(prefix string) ([]BIRDRoute, error) {
	out, err := b.Birdc("show route for " + prefix + " all")
	if err != nil {
		if strings.Contains(out, "Network not found") {
			// An error reply (code 8001), birdc exits 1: no route.
			return nil, nil
		}
		return nil, err
	}
	return parseBIRDRoutes(out)
}

func parseBIRDRoutes(out string) ([]BIRDRoute, error) {
	var rs []BIRDRoute
	net := ""
	for _, line := range strings.Split(out, "\n") {
		if m := birdRouteLine.FindStringSubmatch(line); m != nil && !strings.HasPrefix(strings.TrimSpace(line), "via") {
			if m[1] != "" {
				net = m[1]
			}
			r := BIRDRoute{Prefix: net, Proto: m[2], Primary: m[3] == "*"}
			r.Pref, _ = strconv.Atoi(m[4])
			if m[5] != "" {
				r.Metric, _ = strconv.Atoi(m[5])
			}
			rs = append(rs, r)
			continue
		}
		if m := birdVia.FindStringSubmatch(line); m != nil && len(rs) > 0 {
			a, err := netip.ParseAddr(m[1])
			if err != nil {
				return nil, fmt.Errorf("show route: next hop %q in %q: %w", m[1], line, err)
			}
			r := &rs[len(rs)-1]
			r.NextHops = append(r.NextHops, a)
			slices.SortFunc(r.NextHops, netip.Addr.Compare)
		}
	}
	return rs, nil
}

// NextHops returns the next hops (sorted) of the route BIRD selected for
// prefix; none when it has no route.
func (b *BIRD) NextHops(prefix string) ([]netip.Addr, error) {
	rs, err := b.Routes(prefix)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.Primary {
			return r.NextHops, nil
		}
	}
	return nil, nil
}

// BIRDLSA is one row of `show ospf lsadb`.
type BIRDLSA struct {
	Scope     string // "link", "area" or "as"
	Type      uint16 // the OSPFv3 LS type, e.g. 0x2009
	LSID      string
	AdvRouter string
	Seq       uint32
	Age       int
	Checksum  uint16
}

// LSDB returns BIRD's link state database, from `show ospf lsadb`.
func (b *BIRD) LSDB() ([]BIRDLSA, error) {
	out, err := b.Birdc("show ospf lsadb")
	if err != nil {
		return nil, err
	}
	return parseBIRDLSDB(out)
}

func parseBIRDLSDB(out string) ([]BIRDLSA, error) {
	var ls []BIRDLSA
	scope := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case f[0] == "Area":
			scope = "area"
		case f[0] == "Link":
			scope = "link"
		case f[0] == "Global" || f[0] == "AS":
			scope = "as"
		case len(f) == 6 && f[0] != "Type":
			t, err1 := strconv.ParseUint(f[0], 16, 16)
			seq, err2 := strconv.ParseUint(f[3], 16, 32)
			age, err3 := strconv.Atoi(f[4])
			ck, err4 := strconv.ParseUint(f[5], 16, 16)
			if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
				return nil, fmt.Errorf("show ospf lsadb: cannot read %q", line)
			}
			ls = append(ls, BIRDLSA{Scope: scope, Type: uint16(t), LSID: f[1], AdvRouter: f[2],
				Seq: uint32(seq), Age: age, Checksum: uint16(ck)})
		}
	}
	return ls, nil
}
