package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"time"
)

// namePart is what host and link names may contain: they become parts of
// namespace names.
var namePart = regexp.MustCompile(`^[A-Za-z0-9_.]{1,32}$`)

// Link is one shared Ethernet segment: a Linux bridge (br0) in its own
// namespace, with IPv6 off there, multicast snooping off (it floods all
// multicast, as a plain switch does) and no STP. Hosts join it with Attach.
type Link struct {
	Netns
	linkName string
	ports    int // veth ends attached so far; guarded by lab.mu
}

// Name is the link's name within the lab.
func (k *Link) Name() string { return k.linkName }

// Bridge is the bridge device's name inside the link's namespace, for
// capturing (e.g. Start("tshark", "tshark", "-i", k.Bridge(), ...)).
func (k *Link) Bridge() string { return "br0" }

// Host is one network namespace: a router or a server.
type Host struct {
	Netns
	hostName string
}

// Name is the host's name within the lab.
func (h *Host) Name() string { return h.hostName }

// Iface is an interface that Attach created.
type Iface struct {
	Name      string
	Index     int
	LinkLocal netip.Addr // the kernel's EUI-64/random link-local, DAD done
}

// TryAddLink creates a link (bridge) named name.
func (l *Lab) TryAddLink(name string) (*Link, error) {
	if !namePart.MatchString(name) {
		return nil, fmt.Errorf("lab: bad link name %q (want %s)", name, namePart)
	}
	ns, err := l.addNamespace("br-" + name)
	if err != nil {
		return nil, err
	}
	err = runAll(
		// No IPv6 on the bridge itself: the switch stays silent on the wire.
		[]string{"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		[]string{"ip", "-n", ns, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0", "stp_state", "0"},
		[]string{"ip", "-n", ns, "link", "set", "br0", "up"},
	)
	if err != nil {
		return nil, err
	}
	k := &Link{Netns: Netns{lab: l, name: ns}, linkName: name}
	l.mu.Lock()
	l.links[name] = k
	l.mu.Unlock()
	return k, nil
}

// AddLink is TryAddLink for tests.
func (l *Lab) AddLink(name string) *Link {
	k, err := l.TryAddLink(name)
	l.must(err)
	return k
}

// TryAddHost creates a host named name: a namespace with lo up and IPv6
// forwarding off (turn it on with Sysctl for a router that must forward).
func (l *Lab) TryAddHost(name string) (*Host, error) {
	if !namePart.MatchString(name) {
		return nil, fmt.Errorf("lab: bad host name %q (want %s)", name, namePart)
	}
	ns, err := l.addNamespace(name)
	if err != nil {
		return nil, err
	}
	h := &Host{Netns: Netns{lab: l, name: ns}, hostName: name}
	l.mu.Lock()
	l.hosts[name] = h
	l.mu.Unlock()
	return h, nil
}

// AddHost is TryAddHost for tests.
func (l *Lab) AddHost(name string) *Host {
	h, err := l.TryAddHost(name)
	l.must(err)
	return h
}

// TrySysctl sets a sysctl inside the host's namespace, e.g.
// TrySysctl("net.ipv6.conf.all.forwarding", "1").
func (h *Host) TrySysctl(key, value string) error {
	return runAll([]string{"ip", "netns", "exec", h.name, "sysctl", "-qw", key + "=" + value})
}

// Sysctl is TrySysctl for tests.
func (h *Host) Sysctl(key, value string) { h.lab.must(h.TrySysctl(key, value)) }

// TryAddAddr adds address p to device dev of the host (e.g. an anycast
// /128 on "lo"), without duplicate address detection.
func (h *Host) TryAddAddr(dev string, p netip.Prefix) error {
	return runAll([]string{"ip", "-n", h.name, "addr", "add", p.String(), "dev", dev, "nodad"})
}

// AddAddr is TryAddAddr for tests.
func (h *Host) AddAddr(dev string, p netip.Prefix) { h.lab.must(h.TryAddAddr(dev, p)) }

// TryRoute adds an IPv6 route in the host, e.g. TryRoute("default", "via",
// "2001:db8:1::1").
func (h *Host) TryRoute(args ...string) error {
	return runAll(append([]string{"ip", "-n", h.name, "-6", "route", "add"}, args...))
}

// TryAttach connects the host to link with a veth pair: ifname inside the
// host, the other end a port of the link's bridge. It adds addrs (with
// DAD), brings the interface up and waits until it has a link-local
// address and no address is tentative any more (at most 10 s).
func (h *Host) TryAttach(link *Link, ifname string, addrs ...netip.Prefix) (Iface, error) {
	l := h.lab
	l.mu.Lock()
	link.ports++
	peer := "p" + strconv.Itoa(link.ports)
	l.mu.Unlock()
	cmds := [][]string{
		{"ip", "-n", h.name, "link", "add", ifname, "type", "veth", "peer", "name", peer, "netns", link.name},
		{"ip", "-n", link.name, "link", "set", peer, "master", "br0", "up"},
	}
	for _, a := range addrs {
		cmds = append(cmds, []string{"ip", "-n", h.name, "addr", "add", a.String(), "dev", ifname})
	}
	cmds = append(cmds, []string{"ip", "-n", h.name, "link", "set", ifname, "up"})
	if err := runAll(cmds...); err != nil {
		return Iface{}, err
	}
	var ifc Iface
	_, err := Wait(10*time.Second, fmt.Sprintf("DAD on %s of %s", ifname, h.hostName), func() (bool, error) {
		var err error
		ifc, err = h.iface(ifname)
		return err == nil, err
	})
	return ifc, err
}

// Attach is TryAttach for tests.
func (h *Host) Attach(link *Link, ifname string, addrs ...netip.Prefix) Iface {
	ifc, err := h.TryAttach(link, ifname, addrs...)
	h.lab.must(err)
	return ifc
}

// ipAddrJSON is the part of `ip -j addr show` output that Attach reads.
type ipAddrJSON struct {
	Index    int    `json:"ifindex"`
	Name     string `json:"ifname"`
	AddrInfo []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		Scope     string `json:"scope"`
		Tentative bool   `json:"tentative"`
		DADFailed bool   `json:"dadfailed"`
	} `json:"addr_info"`
}

// iface reads ifname's state and reports an error while it has no
// link-local address or any address is still tentative.
func (h *Host) iface(ifname string) (Iface, error) {
	out, err := runCmd("ip", "-n", h.name, "-j", "-6", "addr", "show", "dev", ifname)
	if err != nil {
		return Iface{}, err
	}
	var links []ipAddrJSON
	if err := json.Unmarshal(out, &links); err != nil {
		return Iface{}, fmt.Errorf("parsing ip -j addr output %q: %w", out, err)
	}
	if len(links) != 1 {
		return Iface{}, fmt.Errorf("ip addr show dev %s: %d links in output", ifname, len(links))
	}
	ifc := Iface{Name: links[0].Name, Index: links[0].Index}
	for _, a := range links[0].AddrInfo {
		if a.DADFailed {
			return ifc, fmt.Errorf("%s: DAD failed for %s", ifname, a.Local)
		}
		if a.Tentative {
			return ifc, fmt.Errorf("%s: %s still tentative", ifname, a.Local)
		}
		if ip, err := netip.ParseAddr(a.Local); err == nil && ip.Is6() && ip.IsLinkLocalUnicast() {
			ifc.LinkLocal = ip
		}
	}
	if !ifc.LinkLocal.IsValid() {
		return ifc, fmt.Errorf("%s: no link-local address yet", ifname)
	}
	return ifc, nil
}

// Iface returns the current state of the host's interface ifname; the
// error says if it has no usable link-local address.
func (h *Host) Iface(ifname string) (Iface, error) { return h.iface(ifname) }
