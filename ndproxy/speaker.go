package ndproxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mdlayher/ndp"
)

// pollInterval is how often the query counters are read: the delay
// before a standby server notices queries and wakes.
const pollInterval = 100 * time.Millisecond

// readBuf holds one received ICMPv6 message (an NS or NA is far smaller;
// a larger one is cut and then fails to parse).
const readBuf = 2048

// ErrStopped is returned by the methods of a Speaker whose Run returned.
var ErrStopped = errors.New("ND speaker stopped")

// Config is the [nd] table and what the daemon found on the interface.
type Config struct {
	// Interface is the link to the router ([nd] interface).
	Interface string
	// Params holds min_gap and standby_after (and the derived timers).
	Params Params
	// Prefixes are the interface's on-link prefixes as the server sees
	// them (diagnostics only: a service address outside them is not
	// resolved on this link by the router).
	Prefixes []netip.Prefix
}

// Service is one service in ND mode.
type Service struct {
	Name string
	// Addr is the service address: on the server's loopback, and inside
	// the link's on-link prefix at the router.
	Addr netip.Addr
	// BaseMetric is the metric of weight 1: the lightest tier's metric,
	// or the static metric without tiers (0: DefaultBaseMetric).
	BaseMetric uint16
}

// Speaker is the ND mode's speaker on one interface: one Scheduler per
// service, fed by the service manager's decisions (SetDecisions), the NS and NA received on the link and the query
// counters, and sending what the schedulers ask. Run is its goroutine;
// the other methods send it events.
type Speaker struct {
	cfg    Config
	tr     Transport
	open   CounterOpener
	log    *slog.Logger
	now    func() time.Time
	rand   func() float64
	events chan any
	done   chan struct{}

	// Owned by Run.
	svcs     map[string]*service
	order    []string
	byAddr   map[netip.Addr]*service
	groups   map[netip.Addr]int // solicited-node groups joined, by reference count
	counters Counters
	nsSeen   uint64 // solicitations for any target
	pending  []Service
}

// service is one service's scheduler and query counter.
type service struct {
	Service
	sch        *Scheduler
	qc         QueryCounter
	qcErr      string // last counter error logged
	state      State  // last state logged
	idleWarned bool
}

// Counters count the speaker's messages. Dropped is by DropReason (and
// "send_error").
type Counters struct {
	In      map[string]uint64 `json:"in"`  // ns, na, na_solicited, na_unicast
	Out     map[string]uint64 `json:"out"` // turn, answer, call
	Dropped map[string]uint64 `json:"dropped"`
}

func newCounters() Counters {
	return Counters{In: map[string]uint64{}, Out: map[string]uint64{}, Dropped: map[string]uint64{}}
}

func (c Counters) clone() Counters {
	n := newCounters()
	for k, v := range c.In {
		n.In[k] = v
	}
	for k, v := range c.Out {
		n.Out[k] = v
	}
	for k, v := range c.Dropped {
		n.Dropped[k] = v
	}
	return n
}

// New builds a speaker for svcs on tr; open (nil: no query counting, so
// no standby) opens each service's query counter. It checks the
// parameters.
func New(cfg Config, svcs []Service, tr Transport, open CounterOpener, log *slog.Logger) (*Speaker, error) {
	cfg.Params = cfg.Params.WithDefaults()
	if err := cfg.Params.Validate(); err != nil {
		return nil, fmt.Errorf("[nd]: %w", err)
	}
	if err := checkServices(svcs); err != nil {
		return nil, err
	}
	return &Speaker{
		cfg:      cfg,
		tr:       tr,
		open:     open,
		log:      log,
		now:      time.Now,
		rand:     rand.Float64,
		events:   make(chan any, 16),
		done:     make(chan struct{}),
		svcs:     make(map[string]*service),
		byAddr:   make(map[netip.Addr]*service),
		groups:   make(map[netip.Addr]int),
		counters: newCounters(),
		pending:  slices.Clone(svcs),
	}, nil
}

func checkServices(svcs []Service) error {
	names := map[string]bool{}
	addrs := map[netip.Addr]string{}
	for _, s := range svcs {
		if !s.Addr.Is6() || s.Addr.Is4In6() || s.Addr.IsMulticast() || s.Addr.IsLinkLocalUnicast() || s.Addr.IsUnspecified() {
			return fmt.Errorf("ND service %s: %s is not a global unicast IPv6 address", s.Name, s.Addr)
		}
		if names[s.Name] {
			return fmt.Errorf("ND service %s: listed twice", s.Name)
		}
		if o, ok := addrs[s.Addr]; ok {
			return fmt.Errorf("ND services %s and %s share the address %s", o, s.Name, s.Addr)
		}
		names[s.Name], addrs[s.Addr] = true, s.Name
	}
	return nil
}

type (
	evConfig struct {
		svcs  []Service
		reply chan error
	}
	evDecisions struct {
		ds    []Decision
		reply chan error
	}
	evStatus struct{ reply chan Status }
	packet   struct {
		b        []byte
		hop      int
		src, dst netip.Addr
	}
)

// send hands ev to Run.
func (s *Speaker) send(ctx context.Context, ev any) error {
	select {
	case s.events <- ev:
		return nil
	case <-s.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// call sends ev and waits for its reply.
func call[T any](ctx context.Context, s *Speaker, ev any, reply chan T) (T, error) {
	var zero T
	if err := s.send(ctx, ev); err != nil {
		return zero, err
	}
	select {
	case r := <-reply:
		return r, nil
	case <-s.done:
		return zero, ErrStopped
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// SetConfig replaces the set of ND services (a reload): removed services
// are withdrawn (calling their peers if the router may still send here),
// new ones start withdrawn until their first decision.
func (s *Speaker) SetConfig(svcs []Service) error {
	if err := checkServices(svcs); err != nil {
		return err
	}
	reply := make(chan error, 1)
	err, cerr := call(context.Background(), s, evConfig{slices.Clone(svcs), reply}, reply)
	if cerr != nil {
		return cerr
	}
	return err
}

// Decision is the service manager's decision for one ND service: take
// part (Metric sets the weight) or withdraw.
type Decision struct {
	Name     string
	Withdraw bool
	Metric   uint16
}

// SetDecisions hands the service manager's decisions to the schedulers.
// Every service named must be one of the speaker's; the decisions apply
// before SetDecisions returns.
func (s *Speaker) SetDecisions(ds []Decision) error {
	reply := make(chan error, 1)
	err, cerr := call(context.Background(), s, evDecisions{slices.Clone(ds), reply}, reply)
	if cerr != nil {
		return cerr
	}
	return err
}

// Status returns a snapshot of every service's scheduler and the
// counters.
func (s *Speaker) Status(ctx context.Context) (Status, error) {
	reply := make(chan Status, 1)
	return call(ctx, s, evStatus{reply}, reply)
}

// Done is closed when Run has returned.
func (s *Speaker) Done() <-chan struct{} { return s.done }

// Run serves until ctx is done, then leaves the groups, closes the query
// counters and the socket. It sends nothing at the end: a planned stop
// withdraws the services first (the manager's drain), which calls peers
// where needed.
func (s *Speaker) Run(ctx context.Context) error {
	defer close(s.done)
	now := s.now()
	for _, svc := range s.pending {
		s.add(now, svc)
	}
	s.pending = nil
	pkts := make(chan packet, 64)
	readErr := make(chan error, 1)
	go s.read(pkts, readErr)
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	s.log.Info("ND speaker running", "interface", s.cfg.Interface, "source", s.tr.Addr(),
		"mac", s.tr.HardwareAddr().String(), "services", len(s.svcs),
		"min_gap", s.cfg.Params.MinGap, "standby_after", s.cfg.Params.StandbyAfter)
	for {
		s.arm(timer)
		select {
		case <-ctx.Done():
			s.stop()
			return nil
		case err := <-readErr:
			s.stop()
			return fmt.Errorf("ND socket on %s: %w", s.cfg.Interface, err)
		case p := <-pkts:
			s.packet(s.now(), p)
		case ev := <-s.events:
			s.handle(s.now(), ev)
		case <-timer.C:
			// What has arrived first: a peer's NA cancels a turn.
			for drained := false; !drained; {
				select {
				case p := <-pkts:
					s.packet(s.now(), p)
				default:
					drained = true
				}
			}
			s.tick(s.now())
		case <-poll.C:
			s.poll(s.now())
		}
	}
}

// read passes every received message to Run until the socket is closed.
func (s *Speaker) read(out chan<- packet, errc chan<- error) {
	buf := make([]byte, readBuf)
	for {
		n, hop, src, dst, err := s.tr.ReadFrom(buf)
		if err != nil {
			select {
			case <-s.done:
			default:
				errc <- err
			}
			return
		}
		p := packet{b: slices.Clone(buf[:n]), hop: hop, src: src, dst: dst}
		select {
		case out <- p:
		case <-s.done:
			return
		}
	}
}

// stop releases the socket, groups and counters.
func (s *Speaker) stop() {
	for _, name := range slices.Clone(s.order) {
		s.remove(s.now(), name, false)
	}
	s.tr.Close()
}

func (s *Speaker) arm(timer *time.Timer) {
	var next time.Time
	for _, svc := range s.svcs {
		if n := svc.sch.Next(); !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	d := time.Hour
	if !next.IsZero() {
		d = max(next.Sub(s.now()), 0)
	}
	timer.Reset(d)
}

func (s *Speaker) handle(now time.Time, ev any) {
	switch ev := ev.(type) {
	case evConfig:
		ev.reply <- s.reconfigure(now, ev.svcs)
	case evDecisions:
		ev.reply <- s.decide(now, ev.ds)
	case evStatus:
		ev.reply <- s.status(now)
	}
}

// add starts a service: its scheduler (withdrawn until a decision), the
// solicited-node group of its address and its query counter.
func (s *Speaker) add(now time.Time, svc Service) {
	e := &service{Service: svc, sch: NewScheduler(s.cfg.Params, s.tr.HardwareAddr(), s.rand, now)}
	if g, err := ndp.SolicitedNodeMulticast(svc.Addr); err == nil {
		if s.groups[g] == 0 {
			if err := s.tr.JoinGroup(g); err != nil {
				s.log.Error("ND: cannot join the solicited-node group: the router's solicitations will not be heard",
					"service", svc.Name, "group", g, "err", err)
			}
		}
		s.groups[g]++
	}
	if s.open != nil {
		qc, err := s.open(svc.Addr)
		if err != nil {
			s.log.Error("ND: cannot count the service's queries; it will not go to standby", "service", svc.Name, "err", err)
		}
		e.qc = qc
	}
	if !s.onLink(svc.Addr) {
		s.log.Warn("ND: the service address is outside the interface's prefixes; the router resolves it on this link only if its on-link prefix holds it",
			"service", svc.Name, "address", svc.Addr, "interface", s.cfg.Interface, "prefixes", fmt.Sprint(s.cfg.Prefixes))
	}
	s.svcs[svc.Name] = e
	s.byAddr[svc.Addr] = e
	s.order = append(s.order, svc.Name)
}

// remove withdraws a service (if call, calling its peers when the router
// may still send here) and releases its group and counter.
func (s *Speaker) remove(now time.Time, name string, call bool) {
	e := s.svcs[name]
	if e == nil {
		return
	}
	if call {
		s.do(e, e.sch.Decide(now, true, 0, e.BaseMetric))
		s.logState(e)
	}
	if g, err := ndp.SolicitedNodeMulticast(e.Addr); err == nil {
		if s.groups[g]--; s.groups[g] <= 0 {
			delete(s.groups, g)
			if err := s.tr.LeaveGroup(g); err != nil {
				s.log.Debug("ND: leaving the solicited-node group", "group", g, "err", err)
			}
		}
	}
	if e.qc != nil {
		e.qc.Close()
	}
	delete(s.svcs, name)
	delete(s.byAddr, e.Addr)
	s.order = slices.DeleteFunc(s.order, func(n string) bool { return n == name })
}

func (s *Speaker) reconfigure(now time.Time, svcs []Service) error {
	next := make(map[string]Service, len(svcs))
	for _, svc := range svcs {
		next[svc.Name] = svc
	}
	for _, name := range slices.Clone(s.order) {
		if n, ok := next[name]; !ok || n.Addr != s.svcs[name].Addr {
			s.remove(now, name, true)
		}
	}
	for _, svc := range svcs {
		if e := s.svcs[svc.Name]; e != nil {
			e.BaseMetric = svc.BaseMetric // applies at the next decision
			continue
		}
		s.add(now, svc)
	}
	// Keep the configured order.
	s.order = s.order[:0]
	for _, svc := range svcs {
		s.order = append(s.order, svc.Name)
	}
	return nil
}

func (s *Speaker) decide(now time.Time, ds []Decision) error {
	var unknown []string
	for _, d := range ds {
		e := s.svcs[d.Name]
		if e == nil {
			unknown = append(unknown, d.Name)
			continue
		}
		s.do(e, e.sch.Decide(now, d.Withdraw, d.Metric, e.BaseMetric))
		s.logState(e)
	}
	if len(unknown) > 0 {
		return fmt.Errorf("ND speaker: no such ND service: %s (known: %s)", strings.Join(unknown, ", "), strings.Join(s.order, ", "))
	}
	return nil
}

// packet handles one received message.
func (s *Speaker) packet(now time.Time, p packet) {
	if p.src == s.tr.Addr() {
		s.counters.Dropped[DropSelf.String()]++ // our own multicast, looped back
		return
	}
	r, err := ParseReceived(p.b, p.hop, p.src, p.dst)
	if err != nil {
		reason := reasonOf(err)
		s.counters.Dropped[reason.String()]++
		if reason != DropOtherType {
			s.log.Debug("ND: message ignored", "reason", reason.String(), "err", err.Error())
		}
		return
	}
	if r.NS {
		s.nsSeen++
	}
	e := s.byAddr[r.Target]
	if e == nil {
		s.counters.Dropped[DropOtherTarget.String()]++
		return
	}
	if r.NS {
		s.counters.In["ns"]++
		s.do(e, e.sch.HeardNS(now, r.Src, r.Dst.IsMulticast()))
		s.logState(e)
		return
	}
	switch {
	case r.Solicited:
		// A peer answering our call: addressed to us, not seen by the
		// link; nothing to schedule.
		s.counters.In["na_solicited"]++
	case !r.Dst.IsMulticast():
		s.counters.In["na_unicast"]++
	case r.LinkAddr != nil && string(r.LinkAddr) == string(s.tr.HardwareAddr()):
		// Another node advertising our own link-layer address: not a
		// peer's turn (and harmless to the router).
		s.counters.Dropped["own_mac"]++
	default:
		s.counters.In["na"]++
		s.do(e, e.sch.HeardNA(now, r.Src, r.LinkAddr, r.Override))
		s.logState(e)
	}
}

func (s *Speaker) tick(now time.Time) {
	for _, name := range s.order {
		e := s.svcs[name]
		if n := e.sch.Next(); !n.IsZero() && !now.Before(n) {
			s.do(e, e.sch.Tick(now))
			s.logState(e)
		}
	}
}

// poll reads the query counters and looks for services left idle.
func (s *Speaker) poll(now time.Time) {
	for _, name := range s.order {
		e := s.svcs[name]
		if e.qc != nil {
			n, err := e.qc.Count()
			switch {
			case err != nil && err.Error() != e.qcErr:
				e.qcErr = err.Error()
				s.log.Error("ND: cannot read the query counter", "service", name, "err", err)
			case err == nil && n > 0:
				s.do(e, e.sch.Queries(now, n))
				s.logState(e)
			}
		}
		s.checkIdle(now, e)
	}
}

// checkIdle logs, once per idle spell, why a running service has been
// idle for standby_after: the router never solicited its address.
func (s *Speaker) checkIdle(now time.Time, e *service) {
	st, since, _ := e.sch.State()
	if st != StateIdle {
		e.idleWarned = false
		return
	}
	if e.idleWarned || now.Sub(since) < s.cfg.Params.StandbyAfter {
		return
	}
	e.idleWarned = true
	_, why := s.idleCause(e)
	s.log.Warn("ND: service idle: the router has not solicited its address", "service", e.Name, "address", e.Addr,
		"idle_for", now.Sub(since).Round(time.Second), "why", why)
}

// idleCause says why a service is idle, and explains it (IdleNone, ""
// when it is not idle).
func (s *Speaker) idleCause(e *service) (IdleCause, string) {
	if st, _, _ := e.sch.State(); st != StateIdle {
		return IdleNone, ""
	}
	switch {
	case !s.onLink(e.Addr):
		return IdleOffLink, fmt.Sprintf("the address is outside the prefixes of %s (%v): the router routes it elsewhere instead of resolving it here; put it inside the link's on-link prefix",
			s.cfg.Interface, s.cfg.Prefixes)
	case s.nsSeen == 0:
		return IdleNoSolicitation, fmt.Sprintf("no Neighbor Solicitation has reached %s at all: no client has sent a query to the address yet, or the router is not on this link", s.cfg.Interface)
	}
	return IdleOtherAddresses, fmt.Sprintf("the router solicited other addresses (%d solicitations heard) but not this one: no client has sent a query to the address yet, or the router's neighbor entry for it points to a node that is not in this farm", s.nsSeen)
}

func (s *Speaker) onLink(a netip.Addr) bool {
	if len(s.cfg.Prefixes) == 0 {
		return true // unknown: do not complain
	}
	for _, p := range s.cfg.Prefixes {
		if p.Masked().Contains(a) {
			return true
		}
	}
	return false
}

// do sends what a scheduler asked for.
func (s *Speaker) do(e *service, acts []Action) {
	mac := s.tr.HardwareAddr()
	for _, a := range acts {
		var (
			m   ndp.Message
			dst netip.Addr
		)
		switch a.Kind {
		case ActAdvertise:
			m, dst = turnNA(e.Addr, mac), netip.IPv6LinkLocalAllNodes()
		case ActAnswer:
			m, dst = answerNA(e.Addr, mac), a.To
		case ActCall:
			g, err := ndp.SolicitedNodeMulticast(e.Addr)
			if err != nil {
				continue
			}
			m, dst = callNS(e.Addr, mac), g
		default:
			continue
		}
		if err := s.tr.WriteTo(m, dst); err != nil {
			s.counters.Dropped["send_error"]++
			s.log.Warn("ND: send failed", "service", e.Name, "what", a.Kind.String(), "to", dst, "err", err)
			continue
		}
		s.counters.Out[outName(a.Kind)]++
		s.log.Debug("ND: sent", "service", e.Name, "what", a.Kind.String(), "to", dst)
	}
}

func outName(k ActionKind) string {
	switch k {
	case ActAdvertise:
		return "turn"
	case ActAnswer:
		return "answer"
	case ActCall:
		return "call"
	}
	return k.String()
}

// logState logs a scheduler's state change.
func (s *Speaker) logState(e *service) {
	st, _, why := e.sch.State()
	if st == e.state {
		return
	}
	s.log.Info("ND state", "service", e.Name, "from", e.state.String(), "to", st.String(), "reason", why)
	e.state = st
}

// macString formats a link-layer address, "" for none.
func macString(m net.HardwareAddr) string {
	if len(m) == 0 {
		return ""
	}
	return m.String()
}
