package ospf

import "time"

// evOnWire asks for ch to be closed once the services are on the wire.
// Instance.Run keeps it; the engine never sees it.
type evOnWire struct{ ch chan struct{} }

func (evOnWire) eventName() string { return "on-wire" }

// servicesOnWire reports whether every service's wanted state is in the
// database and sent: each wanted prefix carried with its wanted metric,
// each withdrawn one flushed, no instance of a service's LSA held back by
// pacing (MinLSInterval), and no withdrawal sent early still waiting for
// its acknowledgement or its resend (early.go: the router may have dropped
// it, up to its MinLSArrival). It reads the services as Status shows them.
func (e *engine) servicesOnWire(now time.Time) bool {
	for _, s := range e.status(now).Services {
		if s.Advertised != s.Wanted || s.Advertised && s.Metric != s.WantMetric || !s.NextChange.IsZero() || !s.ResendAt.IsZero() {
			return false
		}
	}
	return true
}

// OnWire returns a channel that is closed once what the SetServices calls
// made before it asked for is on the wire (servicesOnWire), or a later
// set is. The shutdown waits for it; it stays open if the instance stops
// first.
func (in *Instance) OnWire() (<-chan struct{}, error) {
	ch := make(chan struct{})
	if err := in.send(evOnWire{ch}); err != nil {
		return nil, err
	}
	return ch, nil
}

// notifyOnWire closes the waiting channels once the services are on the
// wire. Run calls it after every event and timer.
func (in *Instance) notifyOnWire() {
	if len(in.onWire) == 0 || !in.eng.servicesOnWire(in.clk.Now()) {
		return
	}
	for _, ch := range in.onWire {
		close(ch)
	}
	in.onWire = nil
}
