package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/ospf"
)

// The ND mode (services with mode = "nd", package ndproxy) next to the
// OSPF instance: one service manager drives both; splitSpeaker hands each
// service's decisions to the speaker of its mode.

// newNDFunc opens the ND speaker on its interface.
type newNDFunc func(cfg ndproxy.Config, svcs []ndproxy.Service, log *slog.Logger) (*ndproxy.Speaker, error)

// ndSpeaker is the ND speaker in the daemon's speaker shape. It has no
// link to follow and no LSDB; Shutdown ends Run (the services were
// withdrawn by the drain before, which calls the peers where needed).
type ndSpeaker struct {
	*ndproxy.Speaker
	stop chan struct{}
	once sync.Once
}

func newNDSpeaker(sp *ndproxy.Speaker) *ndSpeaker {
	return &ndSpeaker{Speaker: sp, stop: make(chan struct{})}
}

func (n *ndSpeaker) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return n.Speaker.Run(ctx)
}

func (n *ndSpeaker) SetLink(up bool, mtu int) error { return nil }

func (n *ndSpeaker) SetLinkPrefixes([]netip.Prefix) error { return nil }

func (n *ndSpeaker) Shutdown() error {
	n.once.Do(func() { close(n.stop) })
	return nil
}

func (n *ndSpeaker) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) { return nil, nil }

// splitSpeaker runs the OSPF instance (nil without [ospf]) and the ND
// speaker (nil without [nd]) as one speaker.
type splitSpeaker struct {
	ospf speaker
	nd   *ndSpeaker
	done chan struct{}

	mu    sync.Mutex
	modes map[string]config.Mode // by service name
}

func newSplitSpeaker(o speaker, n *ndSpeaker, svcs []config.Service) *splitSpeaker {
	s := &splitSpeaker{ospf: o, nd: n, done: make(chan struct{})}
	s.setModes(svcs)
	return s
}

// setModes says which speaker each service belongs to (a reload may
// change it).
func (s *splitSpeaker) setModes(svcs []config.Service) {
	m := make(map[string]config.Mode, len(svcs))
	for _, svc := range svcs {
		m[svc.Name] = svc.Mode
	}
	s.mu.Lock()
	s.modes = m
	s.mu.Unlock()
}

// Run runs both until both return; an error of one stops the other.
func (s *splitSpeaker) Run(ctx context.Context) error {
	defer close(s.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	n := 0
	if s.ospf != nil {
		n++
		go func() { errc <- s.ospf.Run(ctx) }()
	}
	if s.nd != nil {
		n++
		go func() {
			if err := s.nd.Run(ctx); err != nil {
				errc <- fmt.Errorf("ND speaker: %w", err)
				return
			}
			errc <- nil
		}()
	}
	var first error
	for range n {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// SetServices hands each service's decision to the speaker of its mode.
func (s *splitSpeaker) SetServices(svcs []ospf.Service) error {
	s.mu.Lock()
	var o, n []ospf.Service
	for _, svc := range svcs {
		if s.modes[svc.Name] == config.ModeND {
			n = append(n, svc)
		} else {
			o = append(o, svc)
		}
	}
	s.mu.Unlock()
	var errs []error
	if s.ospf != nil {
		errs = append(errs, s.ospf.SetServices(o))
	}
	if s.nd != nil {
		errs = append(errs, s.nd.SetServices(n))
	}
	return errors.Join(errs...)
}

func (s *splitSpeaker) SetLink(up bool, mtu int) error {
	if s.ospf == nil {
		return nil
	}
	return s.ospf.SetLink(up, mtu)
}

func (s *splitSpeaker) SetLinkPrefixes(prefixes []netip.Prefix) error {
	if s.ospf == nil {
		return nil
	}
	return s.ospf.SetLinkPrefixes(prefixes)
}

func (s *splitSpeaker) Shutdown() error {
	var errs []error
	if s.ospf != nil {
		errs = append(errs, s.ospf.Shutdown())
	}
	if s.nd != nil {
		errs = append(errs, s.nd.Shutdown())
	}
	return errors.Join(errs...)
}

func (s *splitSpeaker) Done() <-chan struct{} { return s.done }

// Status is the OSPF instance's status with the ND services appended (or
// the ND speaker's alone).
func (s *splitSpeaker) Status(ctx context.Context) (ospf.Status, error) {
	var st ospf.Status
	if s.ospf != nil {
		var err error
		if st, err = s.ospf.Status(ctx); err != nil {
			return st, err
		}
	}
	if s.nd == nil {
		return st, nil
	}
	nst, err := s.nd.Status(ctx)
	if err != nil {
		return st, err
	}
	if s.ospf == nil {
		return nst, nil
	}
	st.Services = append(st.Services, nst.Services...)
	return st, nil
}

func (s *splitSpeaker) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) {
	if s.ospf == nil {
		return nil, nil
	}
	return s.ospf.LSDB(ctx)
}

// ndStatusSource is a speaker (or backend) with an ND part: the control
// socket's status adds its status under "nd".
type ndStatusSource interface {
	// ndStatus returns the ND speaker's status (nil without [nd]).
	ndStatus(ctx context.Context) (*ndproxy.Status, error)
}

func (s *splitSpeaker) ndStatus(ctx context.Context) (*ndproxy.Status, error) {
	if s.nd == nil {
		return nil, nil
	}
	st, err := s.nd.NDStatus(ctx)
	if err != nil {
		return nil, err
	}
	return &st, nil
}

func (b daemonBackend) ndStatus(ctx context.Context) (*ndproxy.Status, error) {
	if n, ok := b.speaker.(ndStatusSource); ok {
		return n.ndStatus(ctx)
	}
	return nil, nil
}

// openND opens the real ND speaker.
func openND(cfg ndproxy.Config, svcs []ndproxy.Service, log *slog.Logger) (*ndproxy.Speaker, error) {
	return ndproxy.Open(cfg, svcs, log.With("mode", "nd"))
}
