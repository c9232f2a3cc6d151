package sim

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/anycostd/anycostd/costmodel"
)

// Under AnycostdRouter the traffic follows capacity (the weights start at
// the capacity shares), and the run is deterministic.
func TestRouterSharesFollowCapacity(t *testing.T) {
	c := short(AnycostdRouter)
	c.Duration = 20 * time.Second
	a, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different results (-first +second):\n%s", diff)
	}
	var total float64
	for _, v := range c.Capacities {
		total += v
	}
	for i, s := range a.Servers {
		want := c.Capacities[i] / total
		if math.Abs(s.Share-want) > 0.1*want {
			t.Errorf("server %d: share %.3f, capacity share %.3f", i, s.Share, want)
		}
	}
}

// A server that the router's OSPF does not use gets no query: the
// weights only split among the servers at the lowest metric.
func TestRouterFollowsMembership(t *testing.T) {
	c := short(AnycostdRouter)
	c.Capacities = []float64{1, 1}
	s := newSim(c)
	s.startRouter()
	s.startModels()
	// Server 0 advertised at metric 10, server 1 still withdrawn.
	s.deliverRoute(s.servers[0], costmodel.Advert{Metric: 10})
	if s.router.gen == 0 {
		t.Fatal("no weights sent on the membership change")
	}
	s.routerWeights(s.router.gen)
	if s.router.inForce[0] == 0 || s.router.inForce[1] != 0 {
		t.Fatalf("weights %v", s.router.inForce)
	}
	for range 1000 {
		if i := s.pick(); i != 0 {
			t.Fatalf("picked server %d, withdrawn at the router", i)
		}
	}
}

// Under AnycostdRouter the servers keep their tiers but the real rule
// (costmodel/farmagent.go) holds them at the base metric while the agent
// weighs the prefix: at 95% of capacity no server moves, and the run
// answers as with a static metric. Servers blind to the agent move up
// tiers at that load (the herding the hold removes). (At 90% they did
// while the weight loop chased its load figures' noise; since it waits
// for Confirm corrections in a row, the weights stay near the capacities
// there and no server reaches its next tier in 40 s.)
func TestRouterHoldsTiers(t *testing.T) {
	const load = 0.95
	run := func(m RouterMetrics) Result {
		c := short(AnycostdRouter)
		c.Duration = 40 * time.Second
		c.Load = load
		c.RouterMetrics = m
		r, err := Run(c)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	held, static, blind := run(RouterHeldTiers), run(RouterStaticMetric), run(RouterBlindTiers)
	changes := func(r Result) (n int) {
		for _, s := range r.Servers {
			n += s.MetricChanges
		}
		return n
	}
	for i, s := range held.Servers {
		if s.MetricChanges != 0 || s.MaxMetric != 10 {
			t.Errorf("held: server %d: %d metric changes, max metric %d; want none, 10", i, s.MetricChanges, s.MaxMetric)
		}
	}
	if held.Measured.Answered != static.Measured.Answered {
		t.Errorf("held tiers answered %d, static metric %d: want the same", held.Measured.Answered, static.Measured.Answered)
	}
	if changes(blind) == 0 {
		t.Errorf("servers blind to the agent made no metric change at %v%% load: the test shows nothing", 100*load)
	}
}
