package lab

import (
	"fmt"

	"github.com/vishvananda/netlink"
)

// TrySetLink sets the host's interface ifname up or down by netlink from
// inside its namespace: no `ip` process to start, so a caller that times
// what follows (a dark server: nothing on it can speak any more) loses
// no fork and exec between its clock and the change.
func (h *Host) TrySetLink(ifname string, up bool) error {
	err := h.Do(func() error {
		l, err := netlink.LinkByName(ifname)
		if err != nil {
			return err
		}
		if up {
			return netlink.LinkSetUp(l)
		}
		return netlink.LinkSetDown(l)
	})
	if err != nil {
		return fmt.Errorf("lab: %s of %s up=%v: %w", ifname, h.hostName, up, err)
	}
	return nil
}
