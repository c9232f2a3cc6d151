package ndproxy

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// gridScenario is one farm shape of BenchmarkFarmGridGap.
type gridScenario struct {
	latency time.Duration
	metrics []uint16
}

func (g gridScenario) name() string {
	return fmt.Sprintf("n%d/%v/lat%v", len(g.metrics), g.metrics, g.latency)
}

func gridScenarios() []gridScenario {
	var out []gridScenario
	for _, lat := range []time.Duration{50 * time.Microsecond, time.Millisecond, 2 * time.Millisecond} {
		for _, n := range []int{3, 5, 8} {
			for _, tiers := range [][]uint16{{10}, {10, 20, 40}} {
				m := make([]uint16, n)
				for i := range m {
					m[i] = tiers[i%len(tiers)]
				}
				out = append(out, gridScenario{lat, m})
			}
		}
	}
	return out
}

// servingFarm is a farm of shape g after a cold start and a minute of
// turns.
func servingFarm(g gridScenario, seed uint64) *farm {
	f := newFarm(simParams, g.latency, seed, g.metrics...)
	f.solicit()
	f.startTraffic()
	f.run(f.now.Add(time.Minute))
	return f
}

// underAfter runs f 30 s more and counts the intervals under min_gap from
// NA from on.
func (f *farm) underAfter(from int) int {
	f.run(f.now.Add(30 * time.Second))
	_, u := f.minGap(from, simParams.MinGap)
	return u
}

// coldStartUnder counts the intervals under min_gap in the first minute
// of seeds farms started from cold (one router solicitation).
func coldStartUnder(g gridScenario, seeds int) (under, nas int) {
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		f := servingFarm(g, seed)
		_, u := f.minGap(0, simParams.MinGap)
		under += u
		nas += len(f.nas)
	}
	return under, nas
}

// restartUnder counts the intervals under min_gap in seeds farms whose
// holder is killed and restarted (new Scheduler, same link-layer address)
// every ~30 s, rounds times each, from the first restart on.
func restartUnder(g gridScenario, seeds, rounds int) (under, restarts int) {
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		f := servingFarm(g, seed)
		from := len(f.nas)
		restarts += f.restartHolders(rand.New(rand.NewPCG(seed, 99)), rounds)
		under += f.underAfter(from)
	}
	return under, restarts
}

// restartAllUnder counts the intervals under min_gap in seeds farms
// whose servers are all restarted in turn (each killed, back 0.5 s later,
// the next one 0.5 s after that, as the lab restarts its daemons), every
// ~30 s, rounds times each.
func restartAllUnder(g gridScenario, seeds, rounds int) (under, restarts int) {
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		f := servingFarm(g, seed)
		from := len(f.nas)
		rng := rand.New(rand.NewPCG(seed, 98))
		for round := range rounds {
			f.run(f.now.Add(time.Duration(30000+round*37) * time.Millisecond))
			for _, srv := range f.servers {
				srv.dead = true
				f.run(f.now.Add(500 * time.Millisecond))
				srv.s = NewScheduler(f.p, srv.mac, rng.Float64, f.now)
				srv.s.Decide(f.now, false, srv.metric, 10)
				srv.dead = false
				f.run(f.now.Add(500 * time.Millisecond))
				restarts++
			}
		}
		under += f.underAfter(from)
	}
	return under, restarts
}

// BenchmarkFarmGridGap is a measurement, not a speed benchmark: per farm
// shape (latency 50 µs, 1 ms, 2 ms; 3, 5, 8 servers; equal metrics or
// tiers 10/20/40 in turn) the intervals between NAs under min_gap at a
// cold start (200 farms, first minute) and over restarts of the holder
// (20 farms, 50 restarts each), and over restarts of every server in
// turn (10 farms, 20 rounds). Run it once:
//
//	go test -run '^$' -bench FarmGridGap -benchtime 1x ./ndproxy
func BenchmarkFarmGridGap(b *testing.B) {
	for _, g := range gridScenarios() {
		b.Run(g.name(), func(b *testing.B) {
			for range b.N {
				cu, cn := coldStartUnder(g, 200)
				ru, rn := restartUnder(g, 20, 50)
				b.ReportMetric(float64(cu), "cold-under")
				b.ReportMetric(float64(cn), "cold-NAs")
				b.ReportMetric(float64(ru), "restart-under")
				b.ReportMetric(float64(rn), "restarts")
				au, an := restartAllUnder(g, 10, 20)
				b.ReportMetric(float64(au), "all-under")
				b.ReportMetric(float64(an), "all-restarts")
			}
		})
	}
}
