package sim

import (
	"math"
	"time"
)

// record adds a measured query's response time to the statistics.
func (s *sim) record(q query) {
	d := s.now - q.arrived
	s.hist.add(d)
	window := s.cfg.Duration - s.cfg.Warmup
	b := int(int64(q.arrived-s.cfg.Warmup) * numBatches / int64(window))
	b = min(max(b, 0), numBatches-1)
	s.batches[b].sum += d.Seconds()
	s.batches[b].n++
}

// numBatches is the number of batches, by arrival time, of the batch-means
// estimate of the mean response time's standard error.
const numBatches = 20

// meanStdErr estimates the standard error of the mean response time by
// batch means: the spread of the means of numBatches consecutive stretches
// of the window. Batches of a strongly correlated queue are not quite
// independent, so this is an approximation (too small when a batch is not
// much longer than the queue's relaxation time).
func (s *sim) meanStdErr() time.Duration {
	var means []float64
	for _, b := range s.batches {
		if b.n > 0 {
			means = append(means, b.sum/float64(b.n))
		}
	}
	if len(means) < 2 {
		return 0
	}
	var m, v float64
	for _, x := range means {
		m += x
	}
	m /= float64(len(means))
	for _, x := range means {
		v += (x - m) * (x - m)
	}
	v /= float64(len(means) - 1)
	return time.Duration(math.Sqrt(v/float64(len(means))) * float64(time.Second))
}

// result collects the statistics of the finished run.
func (s *sim) result() Result {
	cfg := s.cfg
	r := Result{
		Config:       cfg,
		Measured:     s.measured,
		Total:        s.total,
		MeanResponse: s.hist.mean(),
		MeanStdErr:   s.meanStdErr(),
		P50Response:  s.hist.quantile(0.50),
		P99Response:  s.hist.quantile(0.99),
		MaxResponse:  s.hist.max,
		Events:       s.nEvents,
		ECMPTime:     s.ecmpTime,
	}
	if n := s.measured.Arrived; n > 0 {
		r.DropFraction = float64(s.measured.Dropped) / float64(n)
		r.LostFraction = float64(s.measured.Lost) / float64(n)
		r.AnsweredFraction = 1 - r.DropFraction - r.LostFraction
	}
	window := (cfg.Duration - cfg.Warmup).Seconds()
	routed := s.measured.Arrived - s.measured.Lost
	for _, sv := range s.servers {
		res := sv.res
		res.Utilization = (sv.busyArea - sv.busyAtWarm) / (float64(sv.workers) * window)
		if cfg.CFSShare > 0 {
			res.Utilization /= cfg.CFSShare * res.Capacity // of the CPU it may use
		}
		if routed > 0 {
			res.Share = float64(res.Routed) / float64(routed)
		}
		if cfg.Policy.RunsModels() {
			res.ChangesPerMinute = float64(res.MetricChanges) / (window / 60)
			res.MaxChangesInMinute = maxInMinute(sv.changeAt)
			res.FinalAdvert = sv.route
			for a, d := range res.RouteTime {
				if d > 0 && !a.Withdrawn && a.Metric > res.MaxMetric {
					res.MaxMetric = a.Metric
				}
			}
		}
		r.Servers = append(r.Servers, res)
	}
	return r
}
