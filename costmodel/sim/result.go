package sim

import (
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// Counts is where queries went. Arrived = Answered + Dropped + Lost +
// InFlight always holds.
type Counts struct {
	// Arrived counts queries that reached the router.
	Arrived uint64
	// Answered counts queries a server finished by the end of the run.
	Answered uint64
	// Dropped counts queries that found their server's buffer full.
	Dropped uint64
	// Lost counts queries the router had no route for (every server
	// withdrawn; Anycostd only).
	Lost uint64
	// InFlight counts queries still waiting or in service at the end.
	InFlight uint64
}

// ServerResult is one server's part of a run. Counts and times cover the
// measured window (see Config.Warmup).
type ServerResult struct {
	Capacity float64
	Workers  int
	// Routed counts measured queries sent to this server; Answered and
	// Dropped what became of them.
	Routed, Answered, Dropped uint64
	// Share is Routed / (measured queries routed to any server).
	Share float64
	// Utilization is the mean fraction of the server's workers busy (with
	// queries or probes) over the window; under a CPU cap
	// (Config.CFSShare), of the CPU time the cap lets it use.
	Utilization float64
	// MetricChanges counts the changes the server's cost model reported
	// in the window (Decision.Changed), ChangesPerMinute the same per
	// minute of window. Anycostd only.
	MetricChanges    int
	ChangesPerMinute float64
	// MaxChangesInMinute is the most changes the server's cost model
	// reported within any 60 s of the window (the whole window when it is
	// shorter). Anycostd only.
	MaxChangesInMinute int
	// RouteTime is how long, within the window, the router held each
	// advertisement of this server (Anycostd only).
	RouteTime map[costmodel.Advert]time.Duration
	// MaxMetric is the highest metric the router used for this server in
	// the window (0: none).
	MaxMetric uint16
	// FinalAdvert is the router's view of the server at the end.
	FinalAdvert costmodel.Advert
	// Probes and ProbeFailures count the probes sent in the window and how
	// many failed (dropped or later than the timeout).
	Probes, ProbeFailures uint64
	// HungWithdrawnAfter is, for a server that hangs (Config.HangAt), the
	// time from the hang to the first decision of its cost model after it
	// that advertises it withdrawn (1 ns when it already was); 0 when none
	// did (or it does not hang).
	HungWithdrawnAfter time.Duration
}

// Result is the outcome of one run.
type Result struct {
	// Config is the config of the run, after defaults were filled in.
	Config Config
	// Measured counts the queries that arrived in the window; Total every
	// query of the run.
	Measured, Total Counts
	// Response times (waiting + service) of every measured query a server
	// accepted, including those still in flight at the end: the run then
	// finishes them without new arrivals (FIFO service makes their times
	// exact), so that long queries are not left out. The exact mean and
	// maximum, and the median and 99th percentile read from a histogram
	// with 1% wide buckets (within 0.5%).
	MeanResponse, P50Response, P99Response, MaxResponse time.Duration
	// MeanStdErr estimates the standard error of MeanResponse by batch
	// means (20 batches of the window by arrival time); approximate, and
	// too small when a batch is not much longer than the time the farm
	// takes to forget its state.
	MeanStdErr time.Duration
	// DropFraction and LostFraction are the measured Dropped and Lost over
	// the measured Arrived; AnsweredFraction is the rest (a query a server
	// accepted is always answered, those in flight at the end included).
	AnsweredFraction, DropFraction, LostFraction float64
	// ECMPTime[k] is how long, within the window, exactly k servers
	// shared the lowest metric at the router (Anycostd only; k = 0: every
	// server withdrawn). Time at k = 1 in a farm of several servers is
	// herding: one server gets every query.
	ECMPTime []time.Duration
	// Servers holds one entry per server, in Config order.
	Servers []ServerResult
	// Events counts the events the run processed.
	Events uint64
}

// Window is the measured time span: Duration - Warmup.
func (r Result) Window() time.Duration { return r.Config.Duration - r.Config.Warmup }
