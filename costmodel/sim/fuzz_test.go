package sim

import (
	"errors"
	"testing"
	"time"
)

// FuzzRun runs small random farms (any policy, odd capacities, worker
// counts, buffers, loads far beyond capacity, a degraded server for one
// seed in three) and checks that Run either
// rejects the config or accounts for every query.
func FuzzRun(f *testing.F) {
	f.Add(uint64(1), uint8(4), 0.7, uint16(256), uint8(Anycostd), true, uint8(1), 0.5)
	f.Add(uint64(2), uint8(1), 3.0, uint16(1), uint8(Cheapest), false, uint8(3), 2.0)
	f.Add(uint64(3), uint8(9), 0.1, uint16(0), uint8(PowerOfTwo), false, uint8(2), 0.01)
	f.Add(uint64(4), uint8(2), -1.0, uint16(5), uint8(7), false, uint8(0), 1.0)
	f.Add(uint64(5), uint8(3), 1.0, uint16(5), uint8(Random), false, uint8(1), 1e12)
	f.Add(uint64(6), uint8(3), 1e-300, uint16(5), uint8(RoundRobin), false, uint8(1), 0.0)
	f.Fuzz(func(t *testing.T, seed uint64, n uint8, load float64, buffer uint16, policy uint8, probe bool, workers uint8, spread float64) {
		c := DefaultConfig()
		c.Seed = seed
		c.Duration, c.Warmup = 2*time.Second, 500*time.Millisecond
		c.BaseRate = 300
		c.Load = load
		c.Buffer = int(buffer % 512)
		c.Policy = Policy(policy)
		c.ReportInterval = 150 * time.Millisecond
		c.Params.Probe.Enabled = probe
		c.Capacities = make([]float64, n%12)
		c.Workers = make([]int, n%12)
		for i := range c.Capacities {
			c.Capacities[i] = 1 + spread*float64(i%3)
			c.Workers[i] = int(workers%4) + i%2
		}
		if seed%3 == 0 && len(c.Capacities) > 0 {
			// A degraded server: the first at a quarter of its capacity.
			c.Degraded = make([]float64, len(c.Capacities))
			for i := range c.Degraded {
				c.Degraded[i] = 1
			}
			c.Degraded[0] = 0.25
		}
		if load > 4 { // keep each run short
			c.Load = 4
		}
		r, err := Run(c)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) || c.Validate() == nil {
				t.Fatalf("Run: %v", err)
			}
			return
		}
		for _, cn := range []Counts{r.Total, r.Measured} {
			if cn.Answered+cn.Dropped+cn.Lost+cn.InFlight != cn.Arrived {
				t.Fatalf("counts do not add up: %+v", cn)
			}
		}
		for i, s := range r.Servers {
			if s.Utilization < 0 || s.Utilization > 1+1e-9 {
				t.Fatalf("server %d utilisation %g", i, s.Utilization)
			}
		}
		if r.P50Response > r.P99Response || r.P99Response > r.MaxResponse {
			t.Fatalf("p50 %v > p99 %v or > max %v", r.P50Response, r.P99Response, r.MaxResponse)
		}
	})
}
