package daemon

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// capability is one Linux capability (capabilities(7)) by bit and name.
type capability struct {
	bit  uint
	name string
}

// runCapabilities are the capabilities `anycostd run` needs, and all it
// needs (contrib/anycostd.service): CAP_NET_RAW for the raw OSPFv3 socket
// (IP protocol 89), CAP_NET_ADMIN to put the service addresses on the
// address interface (netlink) and to hear the kernel's socket-destroy
// notices (NETLINK_SOCK_DIAG).
var runCapabilities = []capability{
	{unix.CAP_NET_RAW, "CAP_NET_RAW"},
	{unix.CAP_NET_ADMIN, "CAP_NET_ADMIN"},
}

// effectiveCapabilities returns the effective capability set of the
// calling thread (capget(2), 64-bit version 3 layout).
func effectiveCapabilities() (uint64, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, fmt.Errorf("capget: %w", err)
	}
	return uint64(data[1].Effective)<<32 | uint64(data[0].Effective), nil
}

// missingCapabilities names the capabilities of runCapabilities that the
// effective set eff lacks, in the order of runCapabilities.
func missingCapabilities(eff uint64) []string {
	var missing []string
	for _, c := range runCapabilities {
		if eff&(1<<c.bit) == 0 {
			missing = append(missing, c.name)
		}
	}
	return missing
}

// capabilitiesError is the message for missing capabilities.
func capabilitiesError(missing []string) string {
	return fmt.Sprintf("anycostd run needs CAP_NET_RAW and CAP_NET_ADMIN (missing: %s); "+
		"run as root or grant them, see contrib/anycostd.service", strings.Join(missing, ", "))
}

// CheckCapabilities fails `anycostd run` at once when the process lacks a
// capability it needs, instead of failing later on the first socket or
// address it cannot open.
func CheckCapabilities() error {
	eff, err := effectiveCapabilities()
	if err != nil {
		return fmt.Errorf("cannot read the process's capabilities: %w", err)
	}
	if missing := missingCapabilities(eff); len(missing) > 0 {
		return errors.New(capabilitiesError(missing))
	}
	return nil
}
