package ospf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// ErrStopped is returned by requests made after the instance stopped.
var ErrStopped = errors.New("ospf: instance stopped")

// Instance runs one OSPFv3 engine. Its state belongs to the goroutine in
// Run; every other goroutine reaches it through events (packets from the
// transport reader, service changes, link changes, control requests).
type Instance struct {
	eng    *engine
	tr     Transport
	clk    Clock
	log    *slog.Logger
	events chan event
	done   chan struct{}
	onWire []chan struct{} // OnWire's channels, owned by Run
	// changed: LSDBChanged (snapshot.go).
	changed chan struct{}
	// desigChanged: DesignatedChanged, after a change of lastDesig
	// (neighbor_down.go).
	desigChanged chan struct{}
	lastDesig    Designated
}

// New checks cfg and builds an instance on transport tr. Nothing is sent
// until Run.
func New(cfg Config, tr Transport, clk Clock, log *slog.Logger) (*Instance, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ospf: %w", err)
	}
	if clk == nil {
		clk = SystemClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	in := &Instance{
		tr:      tr,
		clk:     clk,
		log:     log,
		events:  make(chan event, 256),
		done:    make(chan struct{}),
		changed: make(chan struct{}, 1),

		desigChanged: make(chan struct{}, 1),
	}
	in.eng = newEngine(cfg, writerFunc(tr.WriteDatagram), log, clk.Now())
	in.eng.db.onChange = in.notifyChanged // snapshot.go
	return in, nil
}

// Run owns the instance until it has shut down (after Shutdown: LSAs
// flushed and acknowledged or FlushTimeout passed) or ctx is cancelled
// (immediately, without flushing). It closes the transport on return.
func (in *Instance) Run(ctx context.Context) error {
	defer close(in.done)
	defer in.tr.Close()
	go in.readLoop()
	in.eng.start(in.clk.Now())
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !in.eng.finished() {
		d := time.Hour
		if next := in.eng.nextDeadline(); !next.IsZero() {
			d = max(next.Sub(in.clk.Now()), 0)
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-in.events:
			if w, ok := ev.(evOnWire); ok {
				in.onWire = append(in.onWire, w.ch)
			} else {
				in.eng.handle(in.clk.Now(), ev)
			}
		case <-timer.C:
			in.eng.tick(in.clk.Now())
		}
		in.notifyOnWire()
		in.noteDesignated()
	}
	return nil
}

func (in *Instance) readLoop() {
	for {
		d, err := in.tr.ReadDatagram()
		if err != nil {
			return
		}
		select {
		case in.events <- evPacket{d}:
		case <-in.done:
			return
		}
	}
}

// send delivers ev to the owning goroutine unless it has stopped.
func (in *Instance) send(ev event) error {
	select {
	case in.events <- ev:
		return nil
	case <-in.done:
		return ErrStopped
	}
}

// SetServices replaces the set of advertised services. Each change reaches
// the wire as soon as pacing (MinLSInterval) allows; the latest wanted
// content is never dropped.
func (in *Instance) SetServices(svcs []Service) error {
	return in.send(evServices{append([]Service(nil), svcs...)})
}

// SetLink reports the interface going up or down, or a new MTU.
func (in *Instance) SetLink(up bool, mtu int) error {
	return in.send(evLink{up: up, mtu: mtu})
}

// SetLinkPrefixes reports the interface's global addresses (with their
// prefix lengths) after a change; the Link-LSA lists their prefixes, less
// any service prefix, and follows as pacing allows.
func (in *Instance) SetLinkPrefixes(prefixes []netip.Prefix) error {
	return in.send(evLinkPrefixes{append([]netip.Prefix(nil), prefixes...)})
}

// Shutdown starts the graceful stop: flush every self-originated LSA, wait
// (bounded by FlushTimeout) for the acknowledgements, say goodbye with a
// Hello listing no neighbors. Run returns when that is done.
func (in *Instance) Shutdown() error {
	return in.send(evShutdown{})
}

// Done is closed when Run has returned.
func (in *Instance) Done() <-chan struct{} { return in.done }

// Status returns a snapshot of the interface, neighbors and services.
func (in *Instance) Status(ctx context.Context) (Status, error) {
	reply := make(chan Status, 1)
	if err := in.send(evStatus{reply}); err != nil {
		return Status{}, err
	}
	select {
	case s := <-reply:
		return s, nil
	case <-ctx.Done():
		return Status{}, ctx.Err()
	case <-in.done:
		return Status{}, ErrStopped
	}
}

// LSDB returns every LSA of the database, sorted by scope, type, LSID and
// advertising router.
func (in *Instance) LSDB(ctx context.Context) ([]LSDBEntry, error) {
	reply := make(chan []LSDBEntry, 1)
	if err := in.send(evLSDB{reply}); err != nil {
		return nil, err
	}
	select {
	case s := <-reply:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-in.done:
		return nil, ErrStopped
	}
}
