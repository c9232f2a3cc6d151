package costmodel

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"
)

// RouterID is an OSPF router ID, a 32-bit number written as a dotted quad
// (RFC 2328 section 1.2, kept by RFC 5340 section 2.11). It names a server
// in the farm view and orders the farm's servers for the stagger.
type RouterID uint32

// String returns the dotted-quad form, e.g. "192.0.2.1".
func (r RouterID) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
}

// ParseRouterID parses the dotted-quad form.
func ParseRouterID(s string) (RouterID, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, fmt.Errorf("router id %q: not a dotted quad", s)
	}
	b := a.As4()
	return RouterID(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])), nil
}

// MarshalText encodes the dotted-quad form.
func (r RouterID) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText decodes the dotted-quad form.
func (r *RouterID) UnmarshalText(b []byte) error {
	v, err := ParseRouterID(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// PeerState is what a peer's server load LSA says the peer does with the
// prefix.
type PeerState uint8

const (
	// PeerStateUnknown: the peer publishes no server load LSA (an older
	// anycostd, or no capacity configured).
	PeerStateUnknown PeerState = iota
	// PeerAdvertised: the peer advertises the prefix.
	PeerAdvertised
	// PeerWithdrawn: the peer's service is down.
	PeerWithdrawn
	// PeerDrained: the peer's operator drains the service.
	PeerDrained
)

var peerStateNames = [...]string{"unknown", "advertised", "withdrawn", "drained"}

// String returns "unknown", "advertised", "withdrawn" or "drained".
func (s PeerState) String() string {
	if int(s) < len(peerStateNames) {
		return peerStateNames[s]
	}
	return fmt.Sprintf("PeerState(%d)", uint8(s))
}

// MarshalText encodes the String form.
func (s PeerState) MarshalText() ([]byte, error) {
	if int(s) >= len(peerStateNames) {
		return nil, fmt.Errorf("peer state %d: unknown", uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes the String form.
func (s *PeerState) UnmarshalText(b []byte) error {
	for i, n := range peerStateNames {
		if n == string(b) {
			*s = PeerState(i)
			return nil
		}
	}
	return fmt.Errorf("peer state %q: unknown (want unknown, advertised, withdrawn or drained)", b)
}

// Peer is another server of the farm: a router that advertises, or
// publishes a server load LSA for, the same prefix.
type Peer struct {
	RouterID RouterID `json:"router_id"`
	// Withdrawn says no Intra-Area-Prefix-LSA of the peer carries the
	// prefix; otherwise Metric is the metric it carries.
	Withdrawn bool   `json:"withdrawn"`
	Metric    uint16 `json:"metric"`
	// LoadKnown says the peer's server load LSA is present: Load (its load
	// figure, 1.0 saturated), Capacity (in the unit the farm uses for
	// Params.Capacity) and State are what it says. A peer without it is
	// used for its metric only.
	LoadKnown bool      `json:"load_known"`
	Load      float64   `json:"load"`
	Capacity  float64   `json:"capacity"`
	State     PeerState `json:"state"`
	// Since is when the view last saw this peer's advertisement or load
	// change (zero: not known). Explain shows it; decisions do not use it.
	Since time.Time `json:"since,omitzero"`
}

// advertised reports whether the router sees the peer's prefix.
func (p Peer) advertised() bool { return !p.Withdrawn }

// FarmView is what one server knows of the other servers advertising the
// same prefix, as its link-state database holds it: their advertisements
// (Intra-Area-Prefix-LSAs) and, where present, their server load LSAs. It
// is an input like a sample: the caller reads it from its LSDB and hands it
// to Model.ObserveFarm before each Decide. It lags the peers by what their
// LSAs lag: flooding and their own pacing.
type FarmView struct {
	// AsOf is when the view was read. A view older than Params.FarmMaxAge
	// at a Decide is not used.
	AsOf time.Time `json:"as_of"`
	// Self is this server's router ID.
	Self RouterID `json:"self"`
	// Peers are the other servers; an entry naming Self is ignored.
	Peers []Peer `json:"peers"`
	// Agents are the live router agents that weigh the prefix at this
	// server's link router (their server load LSAs of state agent, read
	// only while the agent is adjacent to that router: the reader checks
	// it). While one is in a fresh view the tiers stay at the base metric
	// (farmagent.go).
	Agents []RouterAgent `json:"agents,omitempty"`
}

// MaxCapacity bounds a capacity (Params.Capacity, a peer's), so that a
// typo or a corrupt LSA cannot overflow the sums.
const MaxCapacity = 1e6

// sanitized returns a copy of v with peers sorted by router ID, one entry
// per router (the last given), none for Self, and every number finite and
// in range: a load outside 0..MaxLoad is clamped, and a peer whose capacity
// is not a positive number has its load unknown. It also returns how many
// entries it dropped or corrected.
func (v FarmView) sanitized() (FarmView, int) {
	out := FarmView{AsOf: v.AsOf, Self: v.Self, Peers: make([]Peer, 0, len(v.Peers))}
	bad := 0
	seen := map[RouterID]int{}
	for _, p := range v.Peers {
		if p.RouterID == v.Self {
			bad++
			continue
		}
		if p.LoadKnown {
			if !(p.Capacity > 0) || math.IsInf(p.Capacity, 0) || p.State > PeerDrained || math.IsNaN(p.Load) {
				bad++
				p.LoadKnown = false
			}
			p.Capacity = min(p.Capacity, MaxCapacity)
			p.Load = clampLoad(p.Load, MaxLoad)
		}
		if !p.LoadKnown {
			p.Load, p.Capacity, p.State = 0, 0, PeerStateUnknown
		}
		if p.Withdrawn {
			p.Metric = 0
		}
		if i, ok := seen[p.RouterID]; ok {
			bad++
			out.Peers[i] = p
			continue
		}
		seen[p.RouterID] = len(out.Peers)
		out.Peers = append(out.Peers, p)
	}
	slices.SortFunc(out.Peers, func(a, b Peer) int { return cmp.Compare(a.RouterID, b.RouterID) })
	var agentsBad int
	out.Agents, agentsBad = sanitizedAgents(v.Self, v.Agents)
	return out, bad + agentsBad
}

// ObserveFarm records the farm view at now, replacing the previous one.
// Peers that name this server, repeat a router or carry impossible numbers
// are corrected (Explain counts them). A Model that is never given a view,
// or whose view has no peer with a known load, decides exactly as without
// the farm view.
func (m *Model) ObserveFarm(now time.Time, v FarmView) {
	m.tick(now)
	m.farm, m.farmRejected = v.sanitized()
	m.farmSeen = true
	m.trackPeers(m.clock)
}

// Load returns the load figure at now (see the package doc), the figure a
// server load LSA publishes. It does not change the model.
func (m *Model) Load(now time.Time) float64 {
	if now.Before(m.clock) {
		now = m.clock
	}
	return m.load(now).load
}

// loadMark is one load a peer's server load LSA carried, and since when.
type loadMark struct {
	at   time.Time
	load float64
}

// headroomWindow is how far back a peer's load counts for its headroom:
// four slots of the stagger, so that a peer whose load swings (a server
// near saturation fills and drains its queue over seconds) shows the top of
// its swing, not a lucky moment.
func (m *Model) headroomWindow() time.Duration { return 4 * m.p.farmSlot() }

// trackPeers records the loads the view's peers carry now, and when each
// peer's advertisement last changed.
func (m *Model) trackPeers(now time.Time) {
	if m.peerLoads == nil {
		m.peerLoads = map[RouterID][]loadMark{}
		m.peerAdvs = map[RouterID]advMark{}
	}
	from := now.Add(-m.headroomWindow())
	for id, marks := range m.peerLoads {
		m.peerLoads[id] = pruneMarks(marks, from)
	}
	for _, p := range m.farm.Peers {
		a := Advert{Withdrawn: p.Withdrawn, Metric: p.Metric}
		if mk, ok := m.peerAdvs[p.RouterID]; !ok || mk.adv != a {
			m.peerAdvs[p.RouterID] = advMark{adv: a, since: now}
		}
		if !p.LoadKnown {
			delete(m.peerLoads, p.RouterID)
			continue
		}
		m.peerLoads[p.RouterID] = addMark(m.peerLoads[p.RouterID], now, p.Load)
	}
	known := func(id RouterID) bool {
		_, ok := slices.BinarySearchFunc(m.farm.Peers, id, func(p Peer, id RouterID) int { return cmp.Compare(p.RouterID, id) })
		return ok
	}
	for id := range m.peerLoads {
		if !known(id) {
			delete(m.peerLoads, id)
		}
	}
	for id := range m.peerAdvs {
		if !known(id) {
			delete(m.peerAdvs, id)
		}
	}
}

// trackSelf records this server's own load at a decision, for its own
// range over the headroom window (selfRange).
func (m *Model) trackSelf(now time.Time, load float64) {
	m.selfLoads = addMark(pruneMarks(m.selfLoads, now.Add(-m.headroomWindow())), now, load)
}

// pruneMarks drops the marks replaced before from, keeping the latest.
func pruneMarks(marks []loadMark, from time.Time) []loadMark {
	i := 0
	for i < len(marks)-1 && !marks[i+1].at.After(from) {
		i++
	}
	return marks[i:]
}

// addMark appends load at now unless it is what the latest mark says.
func addMark(marks []loadMark, now time.Time, load float64) []loadMark {
	if n := len(marks); n == 0 || marks[n-1].load != load {
		return append(marks, loadMark{now, load})
	}
	return marks
}

// advMark is a peer's advertisement and since when the view shows it.
type advMark struct {
	adv   Advert
	since time.Time
}

// peerSteady reports whether peer p has advertised what it advertises now
// throughout the headroom window.
func (m *Model) peerSteady(now time.Time, p Peer) bool {
	mk, ok := m.peerAdvs[p.RouterID]
	return ok && !mk.since.After(now.Add(-m.headroomWindow()))
}

// selfSteady reports whether this server has advertised its current
// metric throughout the headroom window.
func (m *Model) selfSteady(now time.Time) bool {
	return m.reported && !m.adv.Withdrawn && !m.lastReport.After(now.Add(-m.headroomWindow()))
}

// peerRange is the lowest and the highest load peer p carried within the
// headroom window before now, its current load included.
func (m *Model) peerRange(now time.Time, p Peer) (low, peak float64) {
	return m.markRange(now, m.peerLoads[p.RouterID], p.Load)
}

// selfRange is the lowest and the highest load of this server within the
// headroom window before now, load (its load now) included.
func (m *Model) selfRange(now time.Time, load float64) (low, peak float64) {
	return m.markRange(now, m.selfLoads, load)
}

// markRange is the lowest and the highest load the marks carried within
// the headroom window before now, cur included.
func (m *Model) markRange(now time.Time, marks []loadMark, cur float64) (low, peak float64) {
	low, peak = cur, cur
	from := now.Add(-m.headroomWindow())
	for i, mk := range marks {
		// A mark counts while it was current at some time in the window:
		// until the next mark replaced it.
		if i+1 < len(marks) && !marks[i+1].at.After(from) {
			continue
		}
		low, peak = min(low, mk.load), max(peak, mk.load)
	}
	return low, peak
}
