package sim

import (
	"math"
	"time"
)

// SupermarketLimit is the mean time in system of Mitzenmacher's supermarket
// model (each query joins the shortest of `choices` queues chosen at random,
// unit service rate, arrival rate `load` per server) as the number of
// servers grows without bound: the fraction of servers holding at least i
// queries is load^((d^i-1)/(d-1)), so by Little's law the mean time is
//
//	sum over i >= 1 of load^((d^i-d)/(d-1))
//
// (M. Mitzenmacher, "The Power of Two Choices in Randomized Load
// Balancing", IEEE TPDS 12(10), 2001, section 3). One choice is the M/M/1
// queue, 1/(1-load). It returns +Inf unless 0 <= load < 1 and choices >= 1.
func SupermarketLimit(load float64, choices int) float64 {
	if !(load >= 0 && load < 1) || choices < 1 {
		return math.Inf(1)
	}
	if choices == 1 {
		return 1 / (1 - load)
	}
	d := float64(choices)
	var sum float64
	for i := 1; i < 64; i++ {
		term := math.Pow(load, (math.Pow(d, float64(i))-d)/(d-1))
		sum += term
		if term < 1e-15 {
			break
		}
	}
	return sum
}

// SupermarketWarmup is the warm-up of Supermarket configs: at load 0.9 an
// M/M/1 queue relaxes in about 1/(1-sqrt(0.9))^2 = 380 service times, and
// every queue starts empty.
const SupermarketWarmup = 1000 * time.Second

// Supermarket returns the supermarket model as a Config: n single-worker
// servers of service rate 1 (time unit: the second), unlimited buffers,
// arrivals at load × n per second, measured for window after
// SupermarketWarmup. Use Random for one choice and PowerOfTwo for two.
func Supermarket(n int, load float64, p Policy, window time.Duration) Config {
	c := DefaultConfig()
	c.Capacities = make([]float64, n)
	for i := range c.Capacities {
		c.Capacities[i] = 1
	}
	c.BaseRate = 1
	c.Load = load
	c.Buffer = 0
	c.Policy = p
	c.Warmup = SupermarketWarmup
	c.Duration = SupermarketWarmup + window
	return c
}
