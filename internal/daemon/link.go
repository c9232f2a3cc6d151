package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/netif"
)

// waitLink waits (bounded) for the interface to exist with a usable
// link-local address. SIGTERM or SIGINT meanwhile ends it with
// errInterrupted.
func (d *Daemon) waitLink(ctx context.Context, name string, sigs <-chan os.Signal) (netif.Link, error) {
	deadline := time.Now().Add(d.linkWait)
	logged := false
	for {
		li, err := d.host.LookupLink(name)
		switch {
		case err != nil:
		case !li.LinkLocal.IsValid():
			err = fmt.Errorf("interface %s has no usable IPv6 link-local address (DAD not finished?)", name)
		default:
			return li, nil
		}
		if !time.Now().Before(deadline) {
			return netif.Link{}, fmt.Errorf("waited %s for interface %s: %w", d.linkWait, name, err)
		}
		d.starting(fmt.Sprintf("waiting for interface %s (%v)", name, err))
		if !logged {
			d.log.Info("waiting for the interface", "interface", name, "reason", err.Error())
			logged = true
		}
		select {
		case <-ctx.Done():
			return netif.Link{}, ctx.Err()
		case sig := <-sigs:
			if sig != syscall.SIGHUP {
				return netif.Link{}, errInterrupted
			}
			d.log.Warn("SIGHUP ignored while starting")
		case <-time.After(linkPoll):
		}
	}
}

// watchLink passes the OSPF interface's up/down, MTU and global address
// changes to the instance.
func (d *Daemon) watchLink(ctx context.Context, last netif.Link) {
	name := last.Name
	err := d.host.WatchLink(ctx, name, func(li netif.Link) {
		if li.LinkLocal.IsValid() && last.LinkLocal.IsValid() && li.LinkLocal != last.LinkLocal {
			// The socket sends from the address it was opened with.
			d.log.Error("the interface's link-local address changed; restart anycostd to use the new one",
				"interface", name, "running", last.LinkLocal, "new", li.LinkLocal)
		}
		if li.LinkLocal.IsValid() {
			last.LinkLocal = li.LinkLocal
		}
		if li.MTU == 0 { // the interface is gone: keep the last MTU
			li.MTU = last.MTU
		}
		if !slices.Equal(li.Prefixes, last.Prefixes) {
			last.Prefixes = li.Prefixes
			d.setLinkPrefixes(li)
		}
		if li.Up == last.Up && li.MTU == last.MTU {
			return
		}
		last.Up, last.MTU = li.Up, li.MTU
		d.setLink(li)
	})
	if err != nil && ctx.Err() == nil {
		d.log.Error("cannot watch the interface; link changes will be missed", "interface", name, "err", err)
	}
}

// setLinkPrefixes hands the instance the interface's new global
// addresses: its Link-LSA lists them (RFC 5340 4.4.3.8).
func (d *Daemon) setLinkPrefixes(li netif.Link) {
	d.log.Info("interface addresses changed", "interface", li.Name, "prefixes", li.Prefixes)
	if err := d.modes.ospf.in.SetLinkPrefixes(li.Prefixes); err != nil && !errors.Is(err, context.Canceled) {
		d.log.Debug("SetLinkPrefixes", "err", err)
	}
}

func (d *Daemon) setLink(li netif.Link) {
	d.log.Info("link changed", "interface", li.Name, "up", li.Up, "mtu", li.MTU)
	if err := d.modes.ospf.in.SetLink(li.Up, li.MTU); err != nil && !errors.Is(err, context.Canceled) {
		d.log.Debug("SetLink", "err", err)
	}
}
