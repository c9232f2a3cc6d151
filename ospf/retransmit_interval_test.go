package ospf

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"
)

// sendLog records, at the sim's fake time, the engine's debug lines that
// say an LSA instance went out: its origination (the first flood) and each
// retransmission with the rule that sent it.
type sendLog struct {
	s      *sim
	events []sendEvent
}

type sendEvent struct {
	at       time.Time
	msg      string // "originating LSA" or "LSA retransmitted"
	lsa, why string
	seq      uint64
}

func (l *sendLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *sendLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *sendLog) WithGroup(string) slog.Handler            { return l }

func (l *sendLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "originating LSA" && r.Message != "LSA retransmitted" {
		return nil
	}
	ev := sendEvent{at: l.s.now, msg: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "lsa":
			ev.lsa = a.Value.String()
		case "why":
			ev.why = a.Value.String()
		case "seq":
			ev.seq = a.Value.Uint64()
		}
		return true
	})
	l.events = append(l.events, ev)
	return nil
}

// RFC 2328 13.6, under loss: an LSA instance is sent again only when its
// neighbor has not acknowledged it within RxmtInterval of its last
// transmission; a lossy wire costs retransmissions, never earlier ones.
// The lab's lossy link test (lab/reliability_lossy_test.go) checks the
// same rule against FRR from the daemon's log.
func TestRetransmissionNeverBeforeRxmtInterval(t *testing.T) {
	s, r, ss := farm(t, 21, 2)
	s.loss, s.dup = 0.2, 0.1
	s1 := ss[0]
	log := &sendLog{s: s}
	s1.e.log = slog.New(log)
	s.runUntil(2*time.Minute, "Full over the lossy wire", allFull(r, ss))

	// Ten minutes of metric changes 2-4 s apart, as the lab test makes.
	rng := rand.New(rand.NewPCG(21, 6))
	end := s.now.Add(10 * time.Minute)
	for i := 0; s.now.Before(end); i++ {
		s1.e.setServices(s.now, []Service{dnsService(uint16(10 + 30*(i%2)))})
		s.run(time.Duration(2000+rng.IntN(2000)) * time.Millisecond)
	}
	s.run(time.Minute) // the last changes settle
	checkRetransmissionGaps(t, log.events, s1.cfg.RetransmitInterval)
}

// checkRetransmissionGaps checks every retransmission of the RxmtInterval
// rule in evs against the last send of the same instance before it. The
// sender has one adjacency (hosts of priority 0 with the DR alone).
func checkRetransmissionGaps(t *testing.T, evs []sendEvent, rxmt time.Duration) {
	t.Helper()
	type instance struct {
		lsa string
		seq uint64
	}
	last := map[instance]time.Time{}
	newest := map[string]uint64{}
	var n, early int
	for _, ev := range evs {
		k := instance{ev.lsa, ev.seq}
		prev, seen := last[k]
		last[k] = ev.at
		if ev.msg != "LSA retransmitted" {
			newest[ev.lsa] = ev.seq
			continue
		}
		if ev.seq != newest[ev.lsa] {
			t.Errorf("%v: %s seq %#x retransmitted, not its newest instance %#x", ev.at, ev.lsa, ev.seq, newest[ev.lsa])
		}
		if ev.why != "rxmt-interval" {
			early++
			continue
		}
		n++
		if !seen {
			t.Errorf("%v: %s seq %#x retransmitted, never originated", ev.at, ev.lsa, ev.seq)
			continue
		}
		if gap := ev.at.Sub(prev); gap < rxmt {
			t.Errorf("%v: %s seq %#x retransmitted %v after its last send (RxmtInterval %v)", ev.at, ev.lsa, ev.seq, gap, rxmt)
		}
	}
	t.Logf("%d sends, %d retransmissions by RxmtInterval, %d early-try resends", len(evs), n, early)
	if n == 0 {
		t.Errorf("no retransmission at all: the wire was not lossy enough to test anything")
	}
}
