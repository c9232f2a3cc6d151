package services

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/monitor"
)

// ErrUnknownService is returned for a service name not in the config.
var ErrUnknownService = errors.New("no such service")

// replayDepth is how many recent samples per input a service keeps, so a
// model rebuilt on reload starts from the same health and load.
const replayDepth = 8

// entry is one service: its config, model and monitors.
type entry struct {
	cfg     config.Service
	model   *costmodel.Model
	stop    context.CancelFunc
	recent  map[costmodel.InputKind][]costmodel.Sample
	advert  costmodel.Advert   // what the model last decided
	reason  string             // why: the reason of the decision that changed advert
	last    costmodel.Decision // the last decision, for its wake time
	drained bool               // manual drain
	load    float64            // the load last handed to the modes
	// probeWait is how long the next probe waits for its answer, in
	// nanoseconds: the model's ProbeWait after each decision, read by
	// the probe's goroutine.
	probeWait *atomic.Int64
}

// LoadResend is how far a service's load figure moves before the manager
// hands the modes the wanted set again with no other change. The OSPF
// instance decides what goes on the wire: a move past its ServerLoadStep
// (0.05) at once, a smaller one of more than a tenth of the step once it
// has lasted ServerLoadSettle; so the manager hands moves that small too,
// or a load that settled within 0.02 of the last one handed would stay
// off the wire for good, however far from the one on it (issue 13).
const LoadResend = 0.005

// Manager owns every service's cost model. Run is its goroutine; the
// other methods send it events.
type Manager struct {
	adv     Advertiser
	inputs  Inputs
	log     *slog.Logger
	params  ParamsFunc
	now     func() time.Time
	samples chan monitor.Sample
	events  chan any
	done    chan struct{}

	// Owned by Run.
	svcs    map[string]*entry
	order   []string // config order
	ctx     context.Context
	pending []config.Service // until Run starts
	// onWire is the channel of the last Advertise: closed once what it
	// handed over is on the wire.
	onWire <-chan struct{}
	// drainWaiters wait for the first Advertise with every service in
	// its drain state (DrainForShutdown).
	drainWaiters []chan (<-chan struct{})
	// farm is the latest farm views of each mode (ObserveFarm).
	farm map[config.Mode]FarmViews
	// manual is the services drained over the control socket (or
	// restored drained), what the store keeps (drains.go).
	manual       map[string]bool
	store        DrainStore // nil: drains live in memory only
	storeWhere   string
	storeProblem string
}

// New builds a manager for svcs, whose models params builds. It checks
// every service's parameters.
func New(svcs []config.Service, params ParamsFunc, adv Advertiser, inputs Inputs, log *slog.Logger) (*Manager, error) {
	for _, s := range svcs {
		if _, err := params(s); err != nil {
			return nil, err
		}
	}
	m := &Manager{
		adv:     adv,
		inputs:  inputs,
		log:     log,
		params:  params,
		now:     time.Now,
		samples: make(chan monitor.Sample, 1024),
		events:  make(chan any, 16),
		done:    make(chan struct{}),
		svcs:    make(map[string]*entry),
		manual:  make(map[string]bool),
	}
	for _, s := range svcs {
		m.order = append(m.order, s.Name)
	}
	m.pending = svcs
	return m, nil
}

type (
	evUpdate struct {
		svcs  []config.Service
		reply chan error
	}
	evDrain struct {
		name string // "" = every service
		on   bool
		// manual: the operator's, kept by the store; the shutdown's
		// drain is not.
		manual bool
		reply  chan error
	}
	evExplain struct {
		name  string // "" = every service
		reply chan explainReply
	}
	evDrainOnWire struct {
		reply chan (<-chan struct{})
	}
	explainReply struct {
		list []costmodel.Explanation
		err  error
	}
)

// Run starts the monitors and serves until ctx is done.
func (m *Manager) Run(ctx context.Context) error {
	defer close(m.done)
	m.ctx = ctx
	now := m.now()
	for _, s := range m.pending {
		m.add(now, s)
	}
	m.pending = nil
	m.restoreDrains(now)
	m.decide(now, true)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		timer.Reset(m.wake(m.now()))
		select {
		case <-ctx.Done():
			for _, e := range m.svcs {
				e.stop()
			}
			return nil
		case s := <-m.samples:
			now := m.now()
			m.observe(now, s)
			// Take what else is queued before deciding once.
			for drained := false; !drained; {
				select {
				case s := <-m.samples:
					m.observe(now, s)
				default:
					drained = true
				}
			}
			m.decide(now, false)
		case ev := <-m.events:
			m.handle(ev)
		case <-timer.C:
			m.decide(m.now(), false)
		}
	}
}

func (m *Manager) handle(ev any) {
	now := m.now()
	switch ev := ev.(type) {
	case evUpdate:
		ev.reply <- m.update(now, ev.svcs)
	case evDrain:
		ev.reply <- m.drain(now, ev.name, ev.on, ev.manual)
	case evExplain:
		ev.reply <- m.explain(now, ev.name)
	case evDrainOnWire:
		if m.drainDecided() {
			ev.reply <- m.onWire
		} else {
			m.drainWaiters = append(m.drainWaiters, ev.reply)
		}
	case evFarm:
		m.observeFarm(now, ev.views)
		ev.reply <- struct{}{}
	case evDrains:
		ev.reply <- m.drainReport()
	case evConfigs:
		list := make([]config.Service, 0, len(m.order))
		for _, n := range m.order {
			list = append(list, m.svcs[n].cfg)
		}
		ev.reply <- list
	}
}

// add creates a service's model (replaying recent samples of an earlier
// model of the same name, input by input in costmodel.Inputs' order) and
// starts its monitors.
func (m *Manager) add(now time.Time, s config.Service, replay ...map[costmodel.InputKind][]costmodel.Sample) {
	p, err := m.params(s)
	if err != nil {
		m.log.Error("service parameters", "service", s.Name, "err", err)
	}
	e := &entry{
		cfg:       s,
		model:     costmodel.New(s.Name, p, now),
		recent:    make(map[costmodel.InputKind][]costmodel.Sample),
		advert:    costmodel.Advert{Withdrawn: true}, // nothing is on the wire yet
		probeWait: new(atomic.Int64),
	}
	for _, r := range replay {
		for k := range costmodel.Inputs() {
			for _, smp := range r[k] {
				m.feed(now, e, smp)
			}
		}
	}
	if f, ok := m.farm[s.Mode]; ok {
		e.model.ObserveFarm(now, f.view(&s))
	}
	ctx, cancel := context.WithCancel(m.ctx)
	e.stop = cancel
	m.svcs[s.Name] = e
	e.noteProbeWait(now)
	wait := e.probeWait
	m.inputs.Start(ctx, s, func() time.Duration { return time.Duration(wait.Load()) }, m.samples)
}

// noteProbeWait stores how long the service's next probe waits for its
// answer, as the model says at now (costmodel/probehealth.go).
func (e *entry) noteProbeWait(now time.Time) {
	if e.cfg.Probe != nil {
		e.probeWait.Store(int64(e.model.ProbeWait(now, e.cfg.Probe.Timeout)))
	}
}

// feed gives a sample to the model and remembers it for replay.
func (m *Manager) feed(now time.Time, e *entry, s costmodel.Sample) {
	e.model.Observe(now, s)
	r := append(e.recent[s.Input], s)
	if len(r) > replayDepth {
		r = r[len(r)-replayDepth:]
	}
	e.recent[s.Input] = r
	if s.Input == costmodel.InputManualDrain {
		e.drained = s.Drained
	}
}

func (m *Manager) observe(now time.Time, s monitor.Sample) {
	e := m.svcs[s.Service]
	if e == nil {
		return // a monitor of a removed service, not yet stopped
	}
	if s.Kind == monitor.KindDrain && s.Err != nil {
		m.log.Warn("drain file cannot be checked", "service", s.Service, "path", e.cfg.DrainFile, "err", s.Err)
	}
	if cs, ok := toModel(s); ok {
		m.feed(now, e, cs)
	}
}

// decide asks every model for its decision and hands the whole set to
// the modes when anything changed (or force).
func (m *Manager) decide(now time.Time, force bool) {
	changed := force
	for _, name := range m.order {
		e := m.svcs[name]
		d := e.model.Decide(now)
		e.last = d
		e.noteProbeWait(now)
		a := d.Advert()
		if d.Changed || a != e.advert {
			changed = true
			m.log.Info("service advertisement", "service", name, "from", e.advert.String(), "to", a.String(), "reason", d.Reason)
			e.advert, e.reason = a, d.Reason
		}
		if math.Abs(e.model.Load(now)-e.load) > LoadResend {
			changed = true
		}
	}
	if !changed {
		return
	}
	onWire, err := m.adv.Advertise(m.wanted(now))
	if err != nil {
		m.log.Error("cannot hand the services to their modes", "err", err)
		return
	}
	m.onWire = onWire
	if len(m.drainWaiters) > 0 && m.drainDecided() {
		for _, w := range m.drainWaiters {
			w <- onWire
		}
		m.drainWaiters = nil
	}
}

// wanted is what every service wants on the wire at now.
func (m *Manager) wanted(now time.Time) []Wanted {
	out := make([]Wanted, 0, len(m.order))
	for _, name := range m.order {
		e := m.svcs[name]
		e.load = e.model.Load(now)
		as := e.cfg.AdvertisedAs(e.advert.Metric)
		var fallback config.PrefixMetric
		if len(as) > 1 && !e.advert.Withdrawn {
			fallback = as[1]
		}
		out = append(out, Wanted{
			Name:     name,
			Prefix:   as[0].Prefix,
			Fallback: fallback,
			Mode:     e.cfg.Mode,
			Withdraw: e.advert.Withdrawn,
			Metric:   e.advert.Metric,
			Reason:   e.reason,
			Drained:  e.model.Drained(),
			Load:     e.load,
			Capacity: e.model.Params().Capacity,
		})
	}
	return out
}

// wake is how long until a model wants to be asked again.
func (m *Manager) wake(now time.Time) time.Duration {
	next := now.Add(time.Hour)
	for _, e := range m.svcs {
		if t := e.last.Wake(); !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	return max(next.Sub(now), time.Millisecond)
}
