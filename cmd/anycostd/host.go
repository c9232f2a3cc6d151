package main

import (
	"context"
	"log/slog"
	"net/netip"

	"github.com/anycostd/anycostd/ospf"
)

// linkInfo is the state of a network interface.
type linkInfo struct {
	Link ospf.Link // name, index, MTU, usable link-local address, prefixes
	Up   bool
}

// host is what the daemon needs from the operating system. wire.go
// implements it with netutil; tests use a fake.
type host interface {
	// lookupLink describes the interface now. Link.LinkLocal is invalid
	// while the link-local address is missing or still tentative (DAD).
	lookupLink(name string) (linkInfo, error)
	// watchLink calls fn on every change of the interface until ctx is done.
	watchLink(ctx context.Context, name string, fn func(linkInfo)) error
	// listenOSPF opens the OSPFv3 socket on the interface; with
	// noKernelChecksum the kernel neither fills nor checks the OSPF
	// checksum (needed under the RFC 7166 trailer); with ttlSecurity
	// packets leave with hop limit 255 (RFC 5082).
	listenOSPF(ifname string, noKernelChecksum, ttlSecurity bool) (ospf.Transport, error)
	// addServiceAddr puts p on the interface (no error if already there).
	addServiceAddr(ifname string, p netip.Prefix) error
	// delServiceAddr takes p off the interface (no error if not there).
	delServiceAddr(ifname string, p netip.Prefix) error
}

// speaker is the part of *ospf.Instance the daemon uses.
type speaker interface {
	Run(ctx context.Context) error
	SetServices(svcs []ospf.Service) error
	SetLink(up bool, mtu int) error
	// SetLinkPrefixes reports the interface's global addresses after a
	// change (the engine's Link-LSA follows them).
	SetLinkPrefixes(prefixes []netip.Prefix) error
	Shutdown() error
	Done() <-chan struct{}
	Status(ctx context.Context) (ospf.Status, error)
	LSDB(ctx context.Context) ([]ospf.LSDBEntry, error)
}

// newSpeakerFunc builds the OSPF instance.
type newSpeakerFunc func(cfg ospf.Config, tr ospf.Transport, log *slog.Logger) (speaker, error)

// newOSPFSpeaker builds the real engine on the system clock.
func newOSPFSpeaker(cfg ospf.Config, tr ospf.Transport, log *slog.Logger) (speaker, error) {
	in, err := ospf.New(cfg, tr, nil, log)
	if err != nil {
		return nil, err
	}
	return in, nil
}
