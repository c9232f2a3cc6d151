package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// Random stream identifiers (the second PCG seed word).
const (
	streamArrivals = 0x61727269 // arrival times and the work of each query
	streamDispatch = 0x64697370 // the router's random choices
	streamControl  = 0x6374726c // sampling phases, probes, routing jitter
)

// epoch is the wall-clock time the cost models see at simulated time 0.
var epoch = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// server is one server's state.
type server struct {
	index   int
	rate    float64 // per worker, queries per second
	workers int
	busy    int
	wait    fifo
	drops   uint64 // socket drop counter: queries and probes, whole run
	hung    bool   // the process hangs (Config.HangAt): it takes nothing from its queue

	busyArea   float64 // busy worker-seconds since time 0
	busySince  time.Duration
	busyAtWarm float64

	res ServerResult

	// Anycostd.
	model      *costmodel.Model
	lastDrops  uint64
	wakeAt     time.Duration
	wakeGen    uint64
	probes     map[uint64]time.Duration // open probes: id -> wait
	probeDue   bool                     // a probe starts at the open one's verdict
	route      costmodel.Advert         // the router's view
	routeSince time.Duration
	routeLast  time.Duration   // latest delivery scheduled, keeps them in order
	changeAt   []time.Duration // times of the measured changes

	// Farm view (anycostd without NoFarmView).
	farm  *farmPeer
	peers []costmodel.Peer // reused by farmView
}

// sim is one run in progress.
type sim struct {
	cfg      Config
	now      time.Duration
	events   eventQueue
	servers  []*server
	arrivals *rand.Rand
	dispatch *rand.Rand
	control  *rand.Rand
	lambda   float64 // arrivals per second

	measured, total Counts
	hist            histogram
	batches         [numBatches]struct {
		sum float64 // seconds
		n   uint64
	}
	nEvents uint64

	rr        int
	board     []int // Cheapest: queries per server as last reported
	eligible  []int // Anycostd: servers advertising the lowest metric
	ecmpTime  []time.Duration
	ecmpSince time.Duration
	probeSeq  uint64
	router    *routerAgent // AnycostdRouter (router.go)
}

// Run simulates one configuration and returns its statistics. It is
// deterministic: the same Config gives the same Result.
func Run(cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	s := newSim(cfg)
	s.run()
	return s.result(), nil
}

func newSim(cfg Config) *sim {
	cfg.Capacities = append([]float64(nil), cfg.Capacities...)
	if cfg.Workers == nil {
		cfg.Workers = make([]int, len(cfg.Capacities))
		for i := range cfg.Workers {
			cfg.Workers[i] = 1
		}
	} else {
		cfg.Workers = append([]int(nil), cfg.Workers...)
	}
	if cfg.Degraded != nil {
		cfg.Degraded = append([]float64(nil), cfg.Degraded...)
	}
	if cfg.HangAt != nil {
		cfg.HangAt = append([]time.Duration(nil), cfg.HangAt...)
	}
	realCaps := cfg.RealCapacities()
	cfg.Params.Tiers = append([]costmodel.Tier(nil), cfg.Params.Tiers...)
	s := &sim{
		cfg:      cfg,
		arrivals: rand.New(rand.NewPCG(cfg.Seed, streamArrivals)),
		dispatch: rand.New(rand.NewPCG(cfg.Seed, streamDispatch)),
		control:  rand.New(rand.NewPCG(cfg.Seed, streamControl)),
		lambda:   cfg.Load * cfg.TotalCapacity(),
	}
	for i, c := range cfg.Capacities {
		w := cfg.Workers[i]
		s.servers = append(s.servers, &server{
			index:   i,
			rate:    realCaps[i] * cfg.BaseRate / float64(w),
			workers: w,
			route:   costmodel.Advert{Withdrawn: true},
			res:     ServerResult{Capacity: c, Workers: w},
			probes:  map[uint64]time.Duration{},
		})
	}
	return s
}

// expDuration draws an exponential duration of the given mean (seconds),
// at most maxDuration.
func expDuration(r *rand.Rand, mean float64) time.Duration {
	return seconds(r.ExpFloat64() * mean)
}

// maxDuration bounds every drawn duration, far beyond any run's end.
const maxDuration = time.Duration(1 << 62)

// seconds converts seconds into a Duration rounded to the nanosecond,
// at most maxDuration.
func seconds(x float64) time.Duration {
	ns := math.Round(x * float64(time.Second))
	if !(ns < float64(maxDuration)) {
		return maxDuration
	}
	return time.Duration(ns)
}

// wall converts simulated time into the cost models' clock.
func wall(t time.Duration) time.Time { return epoch.Add(t) }

func (s *sim) run() {
	cfg := s.cfg
	s.events.push(event{at: expDuration(s.arrivals, 1/s.lambda), kind: evArrival})
	s.events.push(event{at: cfg.Warmup, kind: evWarmup})
	for i, at := range cfg.HangAt {
		if at > 0 {
			s.events.push(event{at: at, kind: evHang, srv: int32(i)})
		}
	}
	switch cfg.Policy {
	case Cheapest:
		s.board = make([]int, len(s.servers))
		s.events.push(event{at: 0, kind: evBoard})
	case Anycostd:
		s.startModels()
		if s.farmOn() {
			s.startFarm()
		}
	case AnycostdRouter:
		s.startRouter()
		s.startModels()
	}
	for s.events.len() > 0 && s.events.peek() <= cfg.Duration {
		e := s.events.pop()
		s.now = e.at
		s.nEvents++
		s.handle(e)
	}
	s.now = cfg.Duration
	for _, sv := range s.servers {
		s.accountBusy(sv)
		if cfg.Policy.RunsModels() {
			s.accountRoute(sv)
		}
	}
	if cfg.Policy.RunsModels() {
		s.accountECMP()
	}
	s.drain()
}

// drain finishes the queries still in the farm at the end, without new
// arrivals, probes or routing changes, so that the response-time statistics
// are not biased towards short times by leaving out the queries in flight.
// Service is FIFO and never preempted, so queries arriving after the end
// could not have changed these queries' response times: they are exact.
// The counts stay as they were at the end (see Result).
func (s *sim) drain() {
	for s.events.len() > 0 {
		e := s.events.pop()
		if e.kind != evDeparture {
			continue
		}
		s.now = e.at
		sv := s.servers[e.srv]
		sv.busy--
		if sv.wait.len() > 0 && !sv.hung {
			q := sv.wait.pop()
			sv.busy++
			s.events.push(event{at: s.now + q.service, kind: evDeparture, srv: e.srv, q: q})
		}
		if e.q.probe == 0 && e.q.measured {
			s.record(e.q)
		}
	}
}

func (s *sim) handle(e event) {
	switch e.kind {
	case evArrival:
		s.arrive()
	case evDeparture:
		s.depart(s.servers[e.srv], e.q)
	case evSample:
		s.sample(s.servers[e.srv])
	case evProbe:
		s.probeTick(s.servers[e.srv])
	case evProbeTimeout:
		s.probeTimeout(s.servers[e.srv], e.id)
	case evWake:
		if sv := s.servers[e.srv]; e.id == sv.wakeGen {
			sv.wakeAt = 0
			s.decide(sv)
		}
	case evRoute:
		s.deliverRoute(s.servers[e.srv], e.adv)
	case evLoadLSA:
		s.pacedLoad(s.servers[e.srv])
	case evPeerLoad:
		s.deliverLoad(s.servers[e.srv])
	case evBoard:
		for i, sv := range s.servers {
			s.board[i] = sv.busy + sv.wait.len()
		}
		s.events.push(event{at: s.now + s.cfg.ReportInterval, kind: evBoard})
	case evAgentLoad:
		s.routerLoadLSA(s.servers[e.srv], e.id)
	case evAgentTick:
		s.routerTick()
	case evWeights:
		s.routerWeights(e.id)
	case evHang:
		s.servers[e.srv].hung = true
	case evWarmup:
		for _, sv := range s.servers {
			s.accountBusy(sv)
			sv.busyAtWarm = sv.busyArea
		}
	}
}

// arrive handles one query reaching the router and schedules the next.
func (s *sim) arrive() {
	work := s.arrivals.ExpFloat64()
	s.events.push(event{at: s.now + expDuration(s.arrivals, 1/s.lambda), kind: evArrival})

	measured := s.now >= s.cfg.Warmup
	s.total.Arrived++
	if measured {
		s.measured.Arrived++
	}
	i := s.pick()
	if i < 0 {
		s.total.Lost++
		if measured {
			s.measured.Lost++
		}
		return
	}
	sv := s.servers[i]
	if measured {
		sv.res.Routed++
	}
	q := query{
		arrived:  s.now,
		service:  seconds(work / sv.rate),
		measured: measured,
	}
	if !s.offer(sv, q) {
		s.total.Dropped++
		if measured {
			s.measured.Dropped++
			sv.res.Dropped++
		}
		return
	}
	s.total.InFlight++
	if measured {
		s.measured.InFlight++
	}
}

// offer hands q to sv: into service, into the buffer, or dropped (false).
func (s *sim) offer(sv *server, q query) bool {
	switch {
	case sv.busy < sv.workers && !sv.hung:
		s.start(sv, q)
	case s.cfg.Buffer == 0 || sv.wait.len() < s.cfg.Buffer:
		sv.wait.push(q)
	default:
		sv.drops++
		return false
	}
	return true
}

func (s *sim) start(sv *server, q query) {
	s.accountBusy(sv)
	sv.busy++
	s.events.push(event{at: s.now + q.service, kind: evDeparture, srv: int32(sv.index), q: q})
}

func (s *sim) depart(sv *server, q query) {
	s.accountBusy(sv)
	sv.busy--
	if sv.wait.len() > 0 && !sv.hung {
		s.start(sv, sv.wait.pop())
	}
	if q.probe != 0 {
		s.probeDone(sv, q)
		return
	}
	s.total.InFlight--
	s.total.Answered++
	if q.measured {
		s.measured.InFlight--
		s.measured.Answered++
		sv.res.Answered++
		s.record(q)
	}
}

// accountBusy adds the busy worker-time since the last call.
func (s *sim) accountBusy(sv *server) {
	sv.busyArea += float64(sv.busy) * (s.now - sv.busySince).Seconds()
	sv.busySince = s.now
}

// inSystem is the number of queries at sv, waiting or in service.
func inSystem(sv *server) int { return sv.busy + sv.wait.len() }
