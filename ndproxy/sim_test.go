package ndproxy

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"time"
)

// farm is a discrete-event simulation of several Schedulers on one link
// and a router that follows RFC 4861 section 7.2.5: it sends every query
// to the link-layer address of the last NA with Override set. Messages
// reach the other servers after latency. Nothing here reads the clock.
type farm struct {
	p       Params
	latency time.Duration
	now     time.Time
	servers []*simServer
	queue   []delivery // in time order

	// The link and the router.
	nas      []linkNA        // every NA on the link, in order
	holder   int             // index of the server the router sends to; -1: none
	held     []time.Duration // time each server held the address
	heldFrom time.Time
	// Traffic: while on, the holder gets a query every queryEvery.
	traffic    bool
	queryEvery time.Duration
	nextQuery  time.Time
	answers    []int // servers that answered a router solicitation, in order
}

type simServer struct {
	s      *Scheduler
	mac    net.HardwareAddr
	ip     netip.Addr
	metric uint16
	dead   bool // crashed: no events, no messages
}

type linkNA struct {
	at     time.Time
	server int
}

type delivery struct {
	at time.Time
	to int
	fn func(s *Scheduler) []Action
}

var simStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// newFarm builds n servers with the given metrics (base 10), all running
// (StateIdle), on a link with the given one-way latency.
func newFarm(p Params, latency time.Duration, seed uint64, metrics ...uint16) *farm {
	f := &farm{p: p.WithDefaults(), latency: latency, now: simStart, holder: -1, queryEvery: 10 * time.Millisecond}
	rng := rand.New(rand.NewPCG(seed, 1))
	for i, m := range metrics {
		mac := net.HardwareAddr{0x02, 0, 0, 0, 0, byte(0x10 + i)}
		ip := netip.MustParseAddr(fmt.Sprintf("fe80::%x", 0x10+i))
		s := NewScheduler(p, mac, rng.Float64, f.now)
		s.Decide(f.now, false, m, 10)
		f.servers = append(f.servers, &simServer{s: s, mac: mac, ip: ip, metric: m})
	}
	f.held = make([]time.Duration, len(metrics))
	f.heldFrom = f.now
	return f
}

// deliver queues fn for server i at time at.
func (f *farm) deliver(at time.Time, i int, fn func(s *Scheduler) []Action) {
	d := delivery{at: at, to: i, fn: fn}
	k, _ := slices.BinarySearchFunc(f.queue, d, func(a, b delivery) int {
		if a.at.After(b.at) {
			return 1
		}
		return -1 // equal times keep their order
	})
	f.queue = slices.Insert(f.queue, k, d)
}

// act carries out the actions server i asked for at f.now.
func (f *farm) act(i int, acts []Action) {
	srv := f.servers[i]
	for _, a := range acts {
		switch a.Kind {
		case ActAdvertise:
			f.nas = append(f.nas, linkNA{at: f.now, server: i})
			f.setHolder(i)
			for j := range f.servers {
				if j != i {
					f.deliver(f.now.Add(f.latency), j, func(s *Scheduler) []Action {
						return s.HeardNA(f.now, srv.ip, srv.mac, true)
					})
				}
			}
		case ActCall:
			for j := range f.servers {
				if j != i {
					f.deliver(f.now.Add(f.latency), j, func(s *Scheduler) []Action {
						return s.HeardNS(f.now, srv.ip, true)
					})
				}
			}
		case ActAnswer:
			f.answers = append(f.answers, i)
			if f.holder < 0 { // INCOMPLETE: the first answer wins
				f.setHolder(i)
			}
		}
	}
}

func (f *farm) setHolder(i int) {
	if f.holder >= 0 {
		f.held[f.holder] += f.now.Sub(f.heldFrom)
	}
	f.holder, f.heldFrom = i, f.now
}

// solicit makes the router resolve the address: a multicast NS to every
// server, as an INCOMPLETE entry does (RFC 4861 section 7.2.2).
func (f *farm) solicit() {
	f.holder = -1
	router := netip.MustParseAddr("fe80::1")
	for j := range f.servers {
		f.deliver(f.now.Add(f.latency), j, func(s *Scheduler) []Action {
			return s.HeardNS(f.now, router, true)
		})
	}
}

// startTraffic sends the holder a query every queryEvery from now on.
func (f *farm) startTraffic() {
	f.traffic = true
	f.nextQuery = f.now
}

// run advances the simulation to until.
func (f *farm) run(until time.Time) {
	for {
		at, who := until, -2 // -1: query, >= 0: server tick, -3: delivery
		for i, srv := range f.servers {
			if srv.dead {
				continue
			}
			if n := srv.s.Next(); !n.IsZero() && n.Before(at) {
				at, who = n, i
			}
		}
		if f.traffic && f.nextQuery.Before(at) {
			at, who = f.nextQuery, -1
		}
		if len(f.queue) > 0 && f.queue[0].at.Before(at) {
			at, who = f.queue[0].at, -3
		}
		if who == -2 {
			f.now = until
			return
		}
		if at.After(f.now) {
			f.now = at
		}
		switch {
		case who == -3:
			d := f.queue[0]
			f.queue = f.queue[1:]
			if !f.servers[d.to].dead {
				f.act(d.to, d.fn(f.servers[d.to].s))
			}
		case who == -1:
			f.nextQuery = f.now.Add(f.queryEvery)
			if f.holder >= 0 && !f.servers[f.holder].dead {
				f.act(f.holder, f.servers[f.holder].s.Queries(f.now, 1))
			}
		default:
			f.act(who, f.servers[who].s.Tick(f.now))
		}
	}
}

// shares returns each server's share of the time since the start of
// counting (resetShares) during which the router sent to it.
func (f *farm) shares() []float64 {
	held := slices.Clone(f.held)
	if f.holder >= 0 {
		held[f.holder] += f.now.Sub(f.heldFrom)
	}
	var total time.Duration
	for _, h := range held {
		total += h
	}
	out := make([]float64, len(held))
	for i, h := range held {
		if total > 0 {
			out[i] = float64(h) / float64(total)
		}
	}
	return out
}

func (f *farm) resetShares() {
	for i := range f.held {
		f.held[i] = 0
	}
	f.heldFrom = f.now
}

// minGap returns the smallest interval between two consecutive NAs on the
// link from index from on, and how many intervals were under gap.
func (f *farm) minGap(from int, gap time.Duration) (time.Duration, int) {
	best, under := time.Duration(-1), 0
	for i := max(from, 1); i < len(f.nas); i++ {
		d := f.nas[i].at.Sub(f.nas[i-1].at)
		if best < 0 || d < best {
			best = d
		}
		if d < gap {
			under++
		}
	}
	return best, under
}

// allSent reports whether every server has sent an NA.
func (f *farm) allSent() bool {
	sent := make([]bool, len(f.servers))
	for _, na := range f.nas {
		sent[na.server] = true
	}
	return !slices.Contains(sent, false)
}

// restartHolders kills the server the router sends to, rounds times,
// about every 30 s, and restarts it 0.5 to 2 s later as a crashed
// anycostd comes back: a new Scheduler (drawing from rng) with the same
// link-layer address, while its peers serve. It returns the restarts.
func (f *farm) restartHolders(rng *rand.Rand, rounds int) int {
	restarts := 0
	for round := range rounds {
		f.run(f.now.Add(time.Duration(30000+round*37) * time.Millisecond))
		h := f.holder
		if h < 0 {
			continue
		}
		f.servers[h].dead = true
		f.run(f.now.Add(time.Duration(500+rng.IntN(1500)) * time.Millisecond))
		srv := f.servers[h]
		srv.s = NewScheduler(f.p, srv.mac, rng.Float64, f.now)
		srv.s.Decide(f.now, false, srv.metric, 10)
		srv.dead = false
		restarts++
	}
	return restarts
}
