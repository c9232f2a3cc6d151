package daemon

import (
	"context"

	"github.com/anycostd/anycostd/control"
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
	return res, nil
}

// LSDB is the OSPF instance's database.
func (b backend) LSDB(ctx context.Context) ([]ospf.LSDBEntry, error) {
	if b.modes.ospf == nil {
		return nil, control.ErrNoOSPF
	}
	return b.modes.ospf.LSDB(ctx)
}
