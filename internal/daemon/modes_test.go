package daemon

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/services"
)

// TestModeSetAdvertise: each service goes to the mode it names, and the
// set is on the wire once every mode has its part there.
func TestModeSetAdvertise(t *testing.T) {
	rec := newRecorder()
	sp := &fakeSpeaker{rec: rec, onWire: make(chan struct{})}
	s := &modeSet{ospf: &ospfMode{in: sp}, done: make(chan struct{})}
	defer close(s.done)
	want := []services.Wanted{
		{Name: "dns", Prefix: netip.MustParsePrefix("2001:db8:53::53/128"), Mode: config.ModeOSPF, Metric: 10},
	}
	onWire, err := s.Advertise(want)
	if err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "services dns=2001:db8:53::53/10")
	select {
	case <-onWire:
		t.Fatal("on the wire before the OSPF instance said so")
	case <-time.After(50 * time.Millisecond):
	}
	close(sp.onWire)
	select {
	case <-onWire:
	case <-time.After(5 * time.Second):
		t.Fatal("not on the wire after the OSPF instance said so")
	}
	// A service whose mode does not run is an error; the others go on.
	_, err = s.Advertise(append(want, services.Wanted{Name: "web", Mode: config.ModeND}))
	if err == nil || err.Error() != "service web: mode nd does not run" {
		t.Errorf("Advertise with an ND service and no ND mode: %v", err)
	}
	if wire, err := s.Wire(context.Background()); err != nil || len(wire) != 1 || wire[0].Mode != config.ModeOSPF {
		t.Errorf("Wire = %+v, %v", wire, err)
	}
}

// TestAllClosed: closed once all are, never once done is.
func TestAllClosed(t *testing.T) {
	a, b, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	all := allClosed(done, []<-chan struct{}{a, b})
	close(a)
	select {
	case <-all:
		t.Fatal("closed with one of two")
	case <-time.After(20 * time.Millisecond):
	}
	close(b)
	<-all
	if c := allClosed(done, nil); c != closedChan {
		t.Error("no channel: not closed at once")
	}
	never := allClosed(done, []<-chan struct{}{make(chan struct{}), make(chan struct{})})
	close(done)
	select {
	case <-never:
		t.Error("closed although a channel never was")
	case <-time.After(20 * time.Millisecond):
	}
}
