package sim

import (
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// eventKind says what an event does.
type eventKind uint8

const (
	evArrival      eventKind = iota // a query reaches the router
	evDeparture                     // a worker finishes a query
	evSample                        // anycostd samples a server's socket
	evProbe                         // anycostd sends a probe to its server
	evProbeTimeout                  // a probe's timeout expires
	evWake                          // a cost model's Decision.Wake is due
	evRoute                         // a reported change reaches the router
	evBoard                         // the bulletin board is refreshed
	evWarmup                        // the measured window starts
	evLoadLSA                       // a paced server load LSA may be originated
	evPeerLoad                      // a server load LSA reaches the peers
	evAgentLoad                     // a server load LSA reaches the router agent (id: the load's bits)
	evAgentTick                     // the agent's periodic weight update
	evWeights                       // the agent's weights take effect (id: generation)
	evHang                          // a server's process hangs (Config.HangAt)
	evCFSTick                       // a scheduler tick at a CPU-capped server (cfs.go)
	evCFSPeriod                     // a CPU-capped server's quota period starts (cfs.go)
)

// query is one query (or probe) inside a server.
type query struct {
	arrived  time.Duration // simulated time it reached the server
	service  time.Duration // its service time at that server
	probe    uint64        // probe id, 0 for a client query
	measured bool          // arrived at or after the warm-up
}

// event is one scheduled event. Only the fields of its kind are used.
type event struct {
	at   time.Duration
	seq  uint64
	kind eventKind
	srv  int32
	id   uint64           // evWake: generation; evProbeTimeout: probe id; evDeparture: CPU cap generation
	adv  costmodel.Advert // evRoute
	q    query            // evDeparture
}

// eventQueue is a binary min-heap of events ordered by time, then by the
// order they were pushed in, so that simultaneous events run in a fixed
// order.
type eventQueue struct {
	ev  []event
	seq uint64
}

func (h *eventQueue) before(i, j int) bool {
	a, b := &h.ev[i], &h.ev[j]
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

func (h *eventQueue) len() int { return len(h.ev) }

// peek returns the time of the next event; the queue must not be empty.
func (h *eventQueue) peek() time.Duration { return h.ev[0].at }

func (h *eventQueue) push(e event) {
	e.seq = h.seq
	h.seq++
	h.ev = append(h.ev, e)
	for i := len(h.ev) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.before(i, p) {
			break
		}
		h.ev[i], h.ev[p] = h.ev[p], h.ev[i]
		i = p
	}
}

// pop removes and returns the earliest event; the queue must not be empty.
func (h *eventQueue) pop() event {
	top := h.ev[0]
	n := len(h.ev) - 1
	h.ev[0] = h.ev[n]
	h.ev = h.ev[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.before(l, m) {
			m = l
		}
		if r < n && h.before(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.ev[i], h.ev[m] = h.ev[m], h.ev[i]
		i = m
	}
	return top
}

// fifo is a growable ring buffer of queries.
type fifo struct {
	buf  []query
	head int
	n    int
}

func (f *fifo) len() int { return f.n }

func (f *fifo) push(q query) {
	if f.n == len(f.buf) {
		nb := make([]query, max(16, 2*len(f.buf)))
		for i := range f.n {
			nb[i] = f.buf[(f.head+i)%len(f.buf)]
		}
		f.buf, f.head = nb, 0
	}
	f.buf[(f.head+f.n)%len(f.buf)] = q
	f.n++
}

// pop removes the oldest query; the fifo must not be empty.
func (f *fifo) pop() query {
	q := f.buf[f.head]
	f.head = (f.head + 1) % len(f.buf)
	f.n--
	return q
}
