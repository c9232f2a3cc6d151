package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/ndproxy"
	"github.com/anycostd/anycostd/ndproxy/ndsock"
	"github.com/anycostd/anycostd/services"
)

// newNDFunc opens the ND speaker on its interface.
type newNDFunc func(cfg ndproxy.Config, svcs []ndproxy.Service, log *slog.Logger) (*ndproxy.Speaker, error)

// openND opens the real ND speaker.
func openND(cfg ndproxy.Config, svcs []ndproxy.Service, log *slog.Logger) (*ndproxy.Speaker, error) {
	return ndsock.Open(cfg, svcs, log.With("mode", "nd"))
}

// ndMode is the ND speaker as a mode: the services with mode = "nd" take
// turns with unsolicited Neighbor Advertisements (package ndproxy). It
// has no link to follow and no LSDB; Stop ends Run (the services were
// withdrawn by the drain before, which calls the peers where needed).
type ndMode struct {
	sp   *ndproxy.Speaker
	stop chan struct{}
	once sync.Once
}

// openND waits for the [nd] interface and opens the speaker on it.
func (d *Daemon) openND(ctx context.Context, sigs <-chan os.Signal) (*ndMode, error) {
	link, err := d.waitLink(ctx, d.cfg.ND.Interface, sigs)
	if err != nil {
		return nil, err
	}
	sp, err := d.newND(ndConfig(d.cfg, link.Prefixes), ndServices(d.cfg.Services), d.log)
	if err != nil {
		return nil, fmt.Errorf("ND speaker on %s: %w", d.cfg.ND.Interface, err)
	}
	return &ndMode{sp: sp, stop: make(chan struct{})}, nil
}

func (n *ndMode) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := n.sp.Run(ctx); err != nil {
		return fmt.Errorf("ND speaker: %w", err)
	}
	return nil
}

// Advertise hands the schedulers their decisions; they apply at once, so
// the returned channel is closed.
func (n *ndMode) Advertise(want []services.Wanted) (<-chan struct{}, error) {
	ds := make([]ndproxy.Decision, len(want))
	for i, w := range want {
		ds[i] = ndproxy.Decision{Name: w.Name, Withdraw: w.Withdraw, Metric: w.Metric}
	}
	if err := n.sp.SetDecisions(ds); err != nil {
		return nil, err
	}
	return closedChan, nil
}

// Wire reports each ND service as on the wire unless withdrawn: it
// answers solicitations and takes turns. There is no pacing to wait for.
func (n *ndMode) Wire(ctx context.Context) ([]services.Wire, error) {
	st, err := n.sp.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]services.Wire, 0, len(st.Services))
	for _, s := range st.Services {
		a, _ := netip.ParseAddr(s.Address)
		w := services.Wire{Name: s.Name, Prefix: netip.PrefixFrom(a, 128), Mode: config.ModeND}
		if s.State != ndproxy.StateWithdrawn.String() {
			w.Advertised, w.Wanted = true, true
			w.Metric, w.WantMetric = s.Metric, s.Metric
		}
		out = append(out, w)
	}
	return out, nil
}

// Stop ends Run.
func (n *ndMode) Stop() error {
	n.once.Do(func() { close(n.stop) })
	return nil
}

// Status is the speaker's own status.
func (n *ndMode) Status(ctx context.Context) (ndproxy.Status, error) { return n.sp.Status(ctx) }
