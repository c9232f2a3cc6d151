package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/services"
)

// mode is one way of putting services on the wire, as the daemon runs it:
// the service manager's contract (services.Advertiser) and a goroutine.
// ospfMode (mode_ospf.go) and ndMode (mode_nd.go) are the two there are;
// the router agent will be the third.
type mode interface {
	services.Advertiser
	// Run serves until ctx is done or, after Stop, the mode is done.
	Run(ctx context.Context) error
}

// modeSet is the modes of one daemon (an [ospf] table runs the OSPF
// instance, an [nd] table the ND speaker) as one services.Advertiser:
// each service's wanted state goes to the mode it names, and what is on
// the wire is every mode's.
type modeSet struct {
	ospf *ospfMode // nil without [ospf]
	nd   *ndMode   // nil without [nd]
	done chan struct{}
}

// openModes opens the modes the configuration asks for: their sockets,
// on their interfaces once these are usable. On an error nothing stays
// open.
func (d *Daemon) openModes(ctx context.Context, sigs <-chan os.Signal, oa *ospfAuth) (*modeSet, error) {
	s := &modeSet{done: make(chan struct{})}
	if d.cfg.HasOSPF() {
		o, err := d.openOSPF(ctx, sigs, oa)
		if err != nil {
			return nil, err
		}
		s.ospf = o
	}
	if d.cfg.HasND() {
		n, err := d.openND(ctx, sigs)
		if err != nil {
			s.close()
			return nil, err
		}
		s.nd = n
	}
	return s, nil
}

// all lists the modes that run.
func (s *modeSet) all() []mode {
	var out []mode
	if s.ospf != nil {
		out = append(out, s.ospf)
	}
	if s.nd != nil {
		out = append(out, s.nd)
	}
	return out
}

// of returns the mode that announces services in mode m, nil when it
// does not run.
func (s *modeSet) of(m config.Mode) mode {
	switch {
	case m == config.ModeOSPF && s.ospf != nil:
		return s.ospf
	case m == config.ModeND && s.nd != nil:
		return s.nd
	}
	return nil
}

// close releases the modes' sockets after a failed start (Run was not
// called).
func (s *modeSet) close() {
	if s.ospf != nil {
		s.ospf.tr.Close()
		if s.ospf.bfdTr != nil {
			s.ospf.bfdTr.Close()
		}
	}
	if s.nd != nil {
		s.nd.Stop()
	}
}

// Run runs every mode until all have returned; an error of one stops the
// others.
func (s *modeSet) Run(ctx context.Context) error {
	defer close(s.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	modes := s.all()
	errc := make(chan error, len(modes))
	for _, m := range modes {
		go func() { errc <- m.Run(ctx) }()
	}
	var first error
	for range modes {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// Advertise hands each mode its services' wanted state. The channel is
// closed once every mode has its part on the wire.
func (s *modeSet) Advertise(want []services.Wanted) (<-chan struct{}, error) {
	byMode := make(map[mode][]services.Wanted)
	var errs []error
	for _, w := range want {
		m := s.of(w.Mode)
		if m == nil {
			errs = append(errs, fmt.Errorf("service %s: mode %s does not run", w.Name, w.Mode))
			continue
		}
		byMode[m] = append(byMode[m], w)
	}
	var waits []<-chan struct{}
	for _, m := range s.all() {
		ch, err := m.Advertise(byMode[m])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		waits = append(waits, ch)
	}
	return allClosed(s.done, waits), errors.Join(errs...)
}

// Wire reports every mode's services.
func (s *modeSet) Wire(ctx context.Context) ([]services.Wire, error) {
	var out []services.Wire
	for _, m := range s.all() {
		w, err := m.Wire(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, w...)
	}
	return out, nil
}

// Stop stops every mode.
func (s *modeSet) Stop() error {
	var errs []error
	for _, m := range s.all() {
		errs = append(errs, m.Stop())
	}
	return errors.Join(errs...)
}

// closedChan is an on-wire channel for what is on the wire at once.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// allClosed returns a channel closed once every channel of chans is, or
// never if done is closed first.
func allClosed(done <-chan struct{}, chans []<-chan struct{}) <-chan struct{} {
	switch len(chans) {
	case 0:
		return closedChan
	case 1:
		return chans[0]
	}
	out := make(chan struct{})
	go func() {
		for _, c := range chans {
			select {
			case <-c:
			case <-done:
				return
			}
		}
		close(out)
	}()
	return out
}
