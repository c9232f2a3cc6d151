package ospf

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
	"github.com/anycostd/anycostd/netif"
	"github.com/anycostd/anycostd/ospf/packet"
)

// sim runs several engines on one in-memory broadcast link with a fake
// clock: no goroutines, no sleeping, fully deterministic for a seed.
type sim struct {
	t       testing.TB
	now     time.Time
	nodes   []*simNode
	queue   []simPacket
	rng     *rand.Rand
	loss    float64 // probability a delivery is lost
	dup     float64 // probability a delivery is duplicated
	sent    map[packet.Type]int
	observe func(from, to *simNode, d Datagram) // optional tap on deliveries
}

type simNode struct {
	name string
	cfg  Config
	e    *engine
	up   bool
	// hopLimit is what its packets carry: 1, or 255 with TTLSecurity, or
	// what addSending set.
	hopLimit int
}

type simPacket struct {
	from *simNode
	d    Datagram
}

func newSim(t testing.TB, seed uint64) *sim {
	return &sim{
		t:    t,
		now:  time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		rng:  rand.New(rand.NewPCG(seed, seed^0x5eed)),
		sent: make(map[packet.Type]int),
	}
}

func testLogger(t testing.TB, name string) *slog.Logger {
	if os.Getenv("ANYCOSTD_SIM_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", name)
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// simConfig is a node's config on the fake link: hello 1 s, dead 4 s like
// the lab's FRR router.
func simConfig(rid string, index int, prio uint8) Config {
	c := Config{
		RouterID: ridOf(rid),
		Priority: prio,
		Link: netif.Link{
			Name:      "eth0",
			Index:     index,
			MTU:       1500,
			LinkLocal: netip.MustParseAddr(fmt.Sprintf("fe80::%d", index)),
		},
		HelloInterval: time.Second,
		DeadInterval:  4 * time.Second,
	}
	c.Defaults()
	return c
}

func ridOf(s string) uint32 {
	a := netip.MustParseAddr(s).As4()
	return uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
}

// add starts an engine on the link.
func (s *sim) add(name string, cfg Config) *simNode {
	s.t.Helper()
	if err := cfg.Validate(); err != nil {
		s.t.Fatalf("%s: %v", name, err)
	}
	return s.addUnchecked(name, cfg)
}

// addUnchecked is add without Config.Validate, for a forged or broken
// speaker (router ID 0.0.0.0).
func (s *sim) addUnchecked(name string, cfg Config) *simNode {
	hop := 1
	if cfg.TTLSecurity {
		hop = gtsmHopLimit
	}
	return s.addSending(name, cfg, hop)
}

// addSending starts an engine whose packets carry hopLimit, as its
// transport would set it.
func (s *sim) addSending(name string, cfg Config, hopLimit int) *simNode {
	n := &simNode{name: name, cfg: cfg, up: true, hopLimit: hopLimit}
	n.e = newEngine(cfg, func(dst netip.Addr, data []byte) error {
		if !n.up {
			return nil
		}
		// The wire: every packet is parsed back as a check on the codec.
		if _, err := packet.ParsePacket(data); err != nil {
			s.t.Errorf("%s sent an unparsable packet: %v", name, err)
		}
		p, _ := packet.ParsePacket(data)
		if p != nil {
			s.sent[p.Hdr().Type]++
		}
		s.queue = append(s.queue, simPacket{from: n, d: Datagram{Src: cfg.Link.LinkLocal, Dst: dst, HopLimit: n.hopLimit, Data: append([]byte(nil), data...)}})
		return nil
	}, testLogger(s.t, name), s.now)
	n.e.start(s.now)
	s.nodes = append(s.nodes, n)
	return n
}

// kill removes a node without any goodbye, like kill -9.
func (s *sim) kill(n *simNode) {
	n.up = false
	for i, m := range s.nodes {
		if m == n {
			s.nodes = append(s.nodes[:i], s.nodes[i+1:]...)
			break
		}
	}
}

// receivers returns who hears a packet sent to dst.
func (s *sim) receivers(from *simNode, dst netip.Addr) []*simNode {
	var out []*simNode
	for _, n := range s.nodes {
		if n == from || !n.up {
			continue
		}
		switch {
		case dst == AllSPFRouters:
			out = append(out, n)
		case dst == AllDRouters:
			// Only the DR and BDR join ff02::6.
			if n.e.ifState == ifDR || n.e.ifState == ifBackup {
				out = append(out, n)
			}
		case dst == n.cfg.Link.LinkLocal:
			out = append(out, n)
		}
	}
	return out
}

// deliver hands every queued packet to its receivers, including those the
// deliveries cause, at the current time.
func (s *sim) deliver() {
	for steps := 0; len(s.queue) > 0; steps++ {
		if steps > 1_000_000 {
			s.t.Fatal("packet storm: more than a million deliveries at one instant")
		}
		p := s.queue[0]
		s.queue = s.queue[1:]
		for _, r := range s.receivers(p.from, p.d.Dst) {
			if s.loss > 0 && s.rng.Float64() < s.loss {
				continue
			}
			copies := 1
			if s.dup > 0 && s.rng.Float64() < s.dup {
				copies = 2
			}
			for range copies {
				if s.observe != nil {
					s.observe(p.from, r, p.d)
				}
				r.e.handle(s.now, evPacket{p.d})
			}
		}
	}
}

// run advances the clock to until, firing timers in order.
func (s *sim) run(d time.Duration) {
	until := s.now.Add(d)
	for {
		s.deliver()
		var next time.Time
		for _, n := range s.nodes {
			if t := n.e.nextDeadline(); !t.IsZero() && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
		if next.IsZero() || next.After(until) {
			s.now = until
			return
		}
		if next.After(s.now) {
			s.now = next
		}
		for _, n := range s.nodes {
			if t := n.e.nextDeadline(); !t.IsZero() && !t.After(s.now) {
				n.e.tick(s.now)
			}
		}
	}
}

// runUntil advances until cond holds or the limit passes.
func (s *sim) runUntil(limit time.Duration, what string, cond func() bool) time.Duration {
	s.t.Helper()
	start := s.now
	for s.now.Sub(start) < limit {
		if cond() {
			return s.now.Sub(start)
		}
		s.run(100 * time.Millisecond)
	}
	if !cond() {
		s.t.Fatalf("after %s simulated: %s never happened", limit, what)
	}
	return s.now.Sub(start)
}

func (n *simNode) nbrState(rid string) nbrState {
	if m := n.e.nbrs[ridOf(rid)]; m != nil {
		return m.state
	}
	return nbrDown
}

// iap returns the node's database copy of rid's service LSA with lsid.
func (n *simNode) lsa(k lsa.Key) (*dbEntry, lsa.LSA) {
	ent := n.e.db.get(k)
	if ent == nil {
		return nil, lsa.LSA{}
	}
	l, err := lsa.Parse(ent.raw)
	if err != nil {
		panic(err)
	}
	return ent, l
}

func iapKey(rid string, lsid uint32) lsa.Key {
	return lsa.Key{Type: lsa.TypeIntraAreaPrefix, ID: lsid, AdvRouter: ridOf(rid)}
}

// advertisedMetric returns the metric n's database holds for rid's service
// lsid, or -1 when absent or flushed.
func (s *sim) advertisedMetric(n *simNode, rid string, lsid uint32) int {
	ent, l := n.lsa(iapKey(rid, lsid))
	if ent == nil || ent.maxAged(s.now) {
		return -1
	}
	return int(l.Body.(*lsa.IntraAreaPrefix).Prefixes[0].Metric)
}

// sameAreaDB reports whether a and b hold the same instances of every
// area- and AS-scoped LSA.
func (s *sim) sameAreaDB(a, b *simNode) error {
	count := func(n *simNode) map[lsa.Key]lsa.Header {
		m := make(map[lsa.Key]lsa.Header)
		for k, ent := range n.e.db.m {
			if k.Type.Scope() != lsa.ScopeLink {
				m[k] = ent.header(s.now)
			}
		}
		return m
	}
	ma, mb := count(a), count(b)
	if len(ma) != len(mb) {
		return fmt.Errorf("%s holds %d LSAs, %s holds %d", a.name, len(ma), b.name, len(mb))
	}
	for k, h := range ma {
		g, ok := mb[k]
		if !ok {
			return fmt.Errorf("%s lacks %s", b.name, k)
		}
		if lsa.Compare(h, g) != 0 {
			return fmt.Errorf("%s: %s has seq %x, %s has %x", k, a.name, uint32(h.Seq), b.name, uint32(g.Seq))
		}
	}
	return nil
}

func dnsService(metric uint16) Service {
	return Service{Name: "dns", Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Metric: metric}
}
