package main

import (
	"context"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/services"
)

// daemonBackend answers the control socket from the speakers and the
// service manager.
type daemonBackend struct {
	speaker
	*services.Manager
}

func backendOf(sp speaker, mgr *services.Manager) control.Backend { return daemonBackend{sp, mgr} }

// Status is the OSPF instance's status and the ND speaker's.
func (b daemonBackend) Status(ctx context.Context) (control.Status, error) {
	st, err := b.speaker.Status(ctx)
	if err != nil {
		return control.Status{}, err
	}
	res := control.Status{Status: st}
	if n, ok := b.speaker.(ndStatusSource); ok {
		if res.ND, err = n.ndStatus(ctx); err != nil {
			return control.Status{}, err
		}
	}
	return res, nil
}
