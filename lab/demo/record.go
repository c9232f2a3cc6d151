package main

import (
	"sync"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// serverState is one server at one sample: what its anycostd advertises
// (from `anycostd cost --json`) and the queries per second it receives.
type serverState struct {
	// QPS is the rate of packets received on eth0 since the previous
	// sample; QPSOK is false when it could not be read.
	QPS   float64
	QPSOK bool
	// Daemon is true when anycostd answered on its control socket; the
	// fields below are meaningful only then.
	Daemon     bool
	Advertised bool   // the /128 is in an LSA on the wire
	Metric     int    // its metric there
	Prefix     string // the prefix it advertises (a tier's prefix key, or the service's)
	Paced      bool   // the model wants another state, held by LSA pacing
	WantMetric int
	Wanted     bool
	Tier       int // -1 without tiers
	Load       float64
	Present    bool // NSD's socket exists
	Up         bool // the DNS probe says healthy
	Drained    bool
	// Why is the router agent's reason for the server's weight (the
	// agent variant, while the agent runs; "" otherwise).
	Why string
}

// sample is the farm at one moment.
type sample struct {
	At      time.Duration // since the script started
	Servers []serverState
	// Hops are the indices of the servers the router's FIB sends the
	// anycast /128 to; HopsOK is false when it could not be read.
	Hops   []int
	Other  int // next hops that are no server's link-local address
	HopsOK bool
	// Sites (the two-site demo): where the core sends the service, and
	// each ABR's next hops for the /128 (indices into the servers).
	Core   lab.CoreChoice
	CoreOK bool
	ABR    [2][]int
	// Zebra (the agent variant): the protocol of zebra's selected route
	// for the /128 ("ospf6", or "sharp": the agent's) and each server's
	// weight in it (0: not a next hop); ZebraOK is false when it could
	// not be read.
	Proto   string
	Weights []int
	ZebraOK bool
}

// event is one step of the script as it happened.
type event struct {
	At       time.Duration
	N        int // its number in the script
	Title    string
	Short    string // its label on the plot
	Sent     int
	Lost     int
	Measured bool // Sent and Lost come from a finished dnsperf run
}

// record is everything the demo shows and plots, shared by the sampler,
// the script and the screen.
type record struct {
	mu      sync.Mutex
	start   time.Time // the script's start; zero before it
	names   []string
	samples []sample
	events  []event
}

func (r *record) setStart(t time.Time) {
	r.mu.Lock()
	r.start = t
	r.mu.Unlock()
}

// since is the time since the script started (0 before).
func (r *record) since() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.start.IsZero() {
		return 0
	}
	return time.Since(r.start)
}

func (r *record) addSample(s sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

// addEvent records the start of a step and returns its index.
func (r *record) addEvent(e event) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return len(r.events) - 1
}

// endEvent records what dnsperf counted during step i.
func (r *record) endEvent(i, sent, lost int, measured bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := &r.events[i]
	e.Sent, e.Lost, e.Measured = sent, lost, measured
}

// snapshot returns copies of the samples and events.
func (r *record) snapshot() ([]sample, []event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sample(nil), r.samples...), append([]event(nil), r.events...)
}

// last returns the newest sample, if any.
func (r *record) last() (sample, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) == 0 {
		return sample{}, false
	}
	return r.samples[len(r.samples)-1], true
}
