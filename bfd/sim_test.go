package bfd

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// The addresses of the simulated link.
var (
	addrA = netip.MustParseAddr("fe80::a")
	addrB = netip.MustParseAddr("fe80::b")
)

const simIface = "eth0"

// errorCounter is a slog handler that fails the test on every Error
// record (the state machine's catch-all logs at Error) and can print
// everything with -v.
type errorCounter struct {
	t    testing.TB
	name string
}

func (h errorCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h errorCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.t.Errorf("%s logged an error: %s", h.name, r.Message)
	}
	if testing.Verbose() {
		var b []byte
		r.Attrs(func(a slog.Attr) bool { b = append(b, ' '); b = append(b, a.String()...); return true })
		h.t.Logf("%s %s %s%s", r.Time.Format("15:04:05.000"), h.name, r.Message, b)
	}
	return nil
}
func (h errorCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h errorCounter) WithGroup(string) slog.Handler      { return h }

func testLog(t testing.TB, name string) *slog.Logger { return slog.New(errorCounter{t, name}) }

// wirePacket is one packet sent on the simulated link.
type wirePacket struct {
	at       time.Time
	from, to netip.Addr
	hopLimit int
	data     []byte
}

// sim is a link with engines on a fake clock: packets arrive delay after
// they are sent, unless the link is cut. Every packet sent is recorded.
type sim struct {
	t       testing.TB
	now     time.Time
	delay   time.Duration
	cut     bool
	nodes   map[netip.Addr]*engine
	queue   []wirePacket // in flight, sorted by arrival
	sent    []wirePacket
	events  map[netip.Addr][]Event
	onEvent func(at netip.Addr, ev Event)
}

func newSim(t testing.TB) *sim {
	return &sim{
		t:      t,
		now:    time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC),
		delay:  200 * time.Microsecond,
		nodes:  map[netip.Addr]*engine{},
		events: map[netip.Addr][]Event{},
	}
}

// add puts an engine with cfg (Interface filled in) at addr.
func (s *sim) add(addr netip.Addr, cfg Config, seed uint64) *engine {
	cfg.Interface = simIface
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		s.t.Fatal(err)
	}
	var e *engine
	e = newEngine(cfg, func(dst netip.Addr, data []byte) error {
		p := wirePacket{at: s.now, from: addr, to: dst.WithZone(""), hopLimit: 255, data: slices.Clone(data)}
		s.sent = append(s.sent, p)
		if !s.cut {
			p.at = s.now.Add(s.delay)
			s.queue = append(s.queue, p)
		}
		return nil
	}, testLog(s.t, addr.String()), seed)
	s.nodes[addr] = e
	return e
}

// collect moves the engines' events into s.events.
func (s *sim) collect() {
	for a, e := range s.nodes {
		for _, ev := range e.takeEvents() {
			s.events[a] = append(s.events[a], ev)
			if s.onEvent != nil {
				s.onEvent(a, ev)
			}
		}
	}
}

// inject delivers a datagram to the engine at to now, then runs its timers.
func (s *sim) inject(to netip.Addr, d Datagram) {
	e := s.nodes[to]
	e.receive(s.now, d)
	e.tick(s.now)
	s.collect()
}

// run advances the clock by d, delivering packets and firing timers in
// time order; the last step is at now+d.
func (s *sim) run(d time.Duration) {
	end := s.now.Add(d)
	for {
		next := end
		for _, e := range s.nodes {
			if t := e.nextDeadline(); !t.IsZero() && t.Before(next) {
				next = t
			}
		}
		if len(s.queue) > 0 && s.queue[0].at.Before(next) {
			next = s.queue[0].at
		}
		s.now = next
		for len(s.queue) > 0 && !s.queue[0].at.After(s.now) {
			p := s.queue[0]
			s.queue = s.queue[1:]
			if e := s.nodes[p.to]; e != nil {
				e.receive(s.now, Datagram{Src: p.from, HopLimit: p.hopLimit, Data: p.data})
			}
		}
		for _, e := range s.nodes {
			e.tick(s.now)
		}
		s.collect()
		if !s.now.Before(end) {
			return
		}
	}
}

// session returns the session of engine at for peer.
func (s *sim) session(at, peer netip.Addr) *session {
	s.t.Helper()
	ss := s.nodes[at].sessions[peer.WithZone(simIface)]
	if ss == nil {
		s.t.Fatalf("%v has no session with %v", at, peer)
	}
	return ss
}

// packets returns the decoded packets from one address to another, sent
// after since.
func (s *sim) packets(from, to netip.Addr, since time.Time) []timedPacket {
	s.t.Helper()
	var out []timedPacket
	for _, p := range s.sent {
		if p.from == from && p.to == to && !p.at.Before(since) {
			cp, err := Parse(p.data)
			if err != nil {
				s.t.Fatalf("%v sent an undecodable packet %x: %v", from, p.data, err)
			}
			out = append(out, timedPacket{p.at, cp})
		}
	}
	return out
}

// sentAfter returns the decoded packets from one address to another among
// those sent after the first n.
func (s *sim) sentAfter(n int, from, to netip.Addr) []timedPacket {
	s.t.Helper()
	out := s.packets(from, to, time.Time{})
	total := 0
	for _, p := range s.sent[:n] {
		if p.from == from && p.to == to {
			total++
		}
	}
	return out[total:]
}

type timedPacket struct {
	at time.Time
	p  ControlPacket
}

// pair builds two engines with cfg that know each other.
func pair(t testing.TB, cfg Config) *sim {
	s := newSim(t)
	s.add(addrA, cfg, 1).setPeers(s.now, []netip.Addr{addrB})
	s.add(addrB, cfg, 2).setPeers(s.now, []netip.Addr{addrA})
	return s
}
