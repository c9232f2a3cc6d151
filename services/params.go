// Package services runs each service's monitors and cost model, and
// tells the modes what each service wants on the wire: the route's cost
// follows the state of the service's process, not only whether it
// answers.
//
// One goroutine (Manager.Run) owns every model; monitors, the control
// socket and the daemon reach it through events. The modes (OSPF, ND,
// the router agent to come) implement Advertiser (advertiser.go), the
// mode-neutral contract.
package services

import (
	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
)

// ParamsFunc builds a service's cost model parameters from its
// configuration (the daemon's translation, internal/daemon/settings.go,
// which paces each service as its mode needs).
type ParamsFunc func(config.Service) (costmodel.Params, error)
