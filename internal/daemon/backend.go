package daemon

import (
	"context"
	"fmt"
	"sync"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

// backend answers the control socket from the modes and the service
// manager.
type backend struct {
	modes *modeSet
	*services.Manager
}

// Status is each mode's status and what every service has on the wire.
func (b backend) Status(ctx context.Context) (control.Status, error) {
	var res control.Status
	if o := b.modes.ospf; o != nil {
		st, err := o.Status(ctx)
		if err != nil {
			return res, err
		}
		res.OSPF = &st
		if bs, ok, err := o.BFDStatus(ctx); err != nil {
			return res, err
		} else if ok {
			res.BFD = &bs
		}
	}
	if n := b.modes.nd; n != nil {
		st, err := n.Status(ctx)
		if err != nil {
			return res, err
		}
		res.ND = &st
	}
	wire, err := b.modes.Wire(ctx)
	if err != nil {
		return res, err
	}
	res.Services = wire
	dr, err := b.Manager.Drains(ctx)
	if err != nil {
		return res, err
	}
	res.Drains = &dr
	return res, nil
}

// LSDB is the OSPF instance's database.
func (b backend) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) {
	if b.modes.ospf == nil {
		return nil, control.ErrNoOSPF
	}
	return b.modes.ospf.LSDB(ctx)
}

// phaseBackend is what the control socket asks: from the moment the
// socket is open, so that it answers while the daemon starts (waits for
// its interface, say) instead of leaving the request unanswered. Until
// run hands it the running backend, status says what the start is doing
// and every other command fails with control.ErrStarting. Safe for any
// goroutine.
type phaseBackend struct {
	mu       sync.Mutex
	starting string
	running  control.Backend // nil while starting
}

// start records what the start is doing now, and reports whether that
// changed.
func (p *phaseBackend) start(what string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := p.starting != what
	p.starting = what
	return changed
}

// run hands the control socket to the running daemon's backend.
func (p *phaseBackend) run(b control.Backend) {
	p.mu.Lock()
	p.running = b
	p.mu.Unlock()
}

// get returns the running backend, or the error of a daemon starting.
func (p *phaseBackend) get() (control.Backend, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running == nil {
		return nil, fmt.Errorf("%w: %s", control.ErrStarting, p.starting)
	}
	return p.running, nil
}

func (p *phaseBackend) Status(ctx context.Context) (control.Status, error) {
	b, err := p.get()
	if err != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		return control.Status{Starting: p.starting}, nil
	}
	return b.Status(ctx)
}

func (p *phaseBackend) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) {
	b, err := p.get()
	if err != nil {
		return nil, err
	}
	return b.LSDB(ctx)
}

func (p *phaseBackend) Drain(ctx context.Context, service string, on bool) error {
	b, err := p.get()
	if err != nil {
		return err
	}
	return b.Drain(ctx, service, on)
}

func (p *phaseBackend) Explain(ctx context.Context, service string) ([]costmodel.Explanation, error) {
	b, err := p.get()
	if err != nil {
		return nil, err
	}
	return b.Explain(ctx, service)
}
