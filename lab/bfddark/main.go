// Command bfddark measures how long a dark server stays in the link
// router's FIB: FRR 8.4.4 (zebra, ospf6d and bfdd) as the router, three
// anycostd servers (hello 1 s, dead 4 s), the anycast /128 on all three.
// Each trial drops one server's link (netlink, in its namespace: nothing
// on the server can speak any more, as with a power loss or a cable
// failure) and times it until the router's kernel announces the anycast
// route without that server.
//
//	sudo go run ./lab/bfddark -trials 10 -interval 50ms -mult 3
//
// Two modes, in turn on the same farm:
//
//   - dead: OSPF alone. The router keeps the server until its dead
//     interval (4 s) runs out after the last Hello.
//   - bfd: the router runs `ipv6 ospf6 bfd` with a profile of -interval x
//     -mult, and every server a bfd.Speaker (package bfd, driven from this
//     process in the server's namespace: the daemon does not run BFD yet)
//     with the same interval.
//
// Times: t0 is time.Now() just before the link goes down; t1 is when this
// process reads the kernel's route notification (RTM_NEWROUTE of the
// /128 without the server, zebra replaces routes in one message: the lab
// starts it with --v6-rr-semantics) from a netlink socket in the router's
// namespace. Before each trial a random wait of 0-1 s spreads the drop
// over the Hello and BFD cycles. Run it under the lab lock.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/lab"
)

func main() {
	trials := flag.Int("trials", 10, "trials per mode")
	interval := flag.Duration("interval", 50*time.Millisecond, "BFD interval (router profile and servers)")
	mult := flag.Int("mult", 3, "BFD detection multiplier")
	modes := flag.String("modes", "dead,bfd", "modes to measure, in order (dead, bfd)")
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bfddark: needs root (network namespaces)")
		os.Exit(1)
	}
	order := strings.Split(*modes, ",")
	for _, mode := range order {
		if mode != "dead" && mode != "bfd" {
			fmt.Fprintf(os.Stderr, "bfddark: unknown mode %q\n", mode)
			os.Exit(1)
		}
	}
	results := map[string][]time.Duration{}
	err := measure(order, *trials, *interval, *mult, results)
	fmt.Printf("dark server -> out of FRR 8.4.4's FIB, 3 servers, OSPF hello 1 s / dead 4 s, BFD %v x %d (%s)\n",
		*interval, *mult, time.Now().UTC().Format(time.RFC3339))
	fmt.Println("mode  trials  min  median  p90  max (ms)")
	for _, mode := range order {
		ds := results[mode]
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		fmt.Printf("%-4s  %6d  %.1f  %.1f  %.1f  %.1f\n", mode, len(ds), ms(ds[0]), ms(rank(ds, 0.5)), ms(rank(ds, 0.9)), ms(ds[len(ds)-1]))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bfddark:", err)
		os.Exit(1)
	}
}

// measure builds the farm and runs the trials of every mode in turn,
// adding each time to results; the farm (and the anycostd binary it
// built) is gone when it returns. On an error it writes the tails of the
// processes' logs to stderr first.
func measure(modes []string, trials int, interval time.Duration, mult int, results map[string][]time.Duration) (err error) {
	defer lab.RemoveBuild()
	f, err := lab.OpenFarm(os.Stderr, 3)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			fmt.Fprint(os.Stderr, f.Lab.ProcessTails(30))
		}
		err = errors.Join(err, f.Lab.Close())
	}()
	for _, s := range f.Servers {
		if _, err := s.TryStart(); err != nil {
			return err
		}
	}
	if err := waitAll(f, 60*time.Second); err != nil {
		return err
	}
	w, err := watchRoutes(f.RouterHost)
	if err != nil {
		return err
	}
	defer w.close()
	for _, mode := range modes {
		if mode == "bfd" {
			if err := startBFD(f, interval, mult); err != nil {
				return err
			}
		}
		for i := range trials {
			s := f.Servers[i%len(f.Servers)]
			if mode == "bfd" {
				if err := waitBFDUp(f, s); err != nil {
					return err
				}
			}
			time.Sleep(rand.N(time.Second))
			d, err := trial(f, w, s)
			if err != nil {
				return err
			}
			logf("%s trial %d (%s): %v", mode, i+1, s.Name(), d.Round(100*time.Microsecond))
			results[mode] = append(results[mode], d)
		}
	}
	return nil
}

// logf writes a time-stamped progress line to stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bfddark: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// rank is the nearest-rank quantile q of the sorted ds.
func rank(ds []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// waitAll waits until the router's FIB has every server as a next hop.
func waitAll(f *lab.Farm, timeout time.Duration) error {
	want := lab.LinkLocals(f.Servers...)
	_, err := lab.Wait(timeout, "every server in the router's FIB", func() (bool, error) {
		hops, err := f.RouterHost.FIBNextHops(lab.Anycast)
		return err == nil && slices.Equal(hops, want), fmt.Errorf("next hops %v (%v)", hops, err)
	})
	return err
}

// routeEvent is one kernel notification about the anycast /128.
type routeEvent struct {
	at      time.Time
	deleted bool
	hops    []netip.Addr
}

// routeWatch receives the router namespace's route notifications.
type routeWatch struct {
	ch   chan netlink.RouteUpdate
	done chan struct{}
}

// watchRoutes subscribes to the route notifications of h's namespace;
// close ends the subscription.
func watchRoutes(h *lab.Host) (*routeWatch, error) {
	ns, err := netns.GetFromName(h.Namespace())
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", h.Namespace(), err)
	}
	w := &routeWatch{ch: make(chan netlink.RouteUpdate, 256), done: make(chan struct{})}
	err = netlink.RouteSubscribeWithOptions(w.ch, w.done, netlink.RouteSubscribeOptions{
		Namespace: &ns,
		ErrorCallback: func(err error) {
			select {
			case <-w.done: // closing the subscription fails its read
			default:
				logf("route subscription: %v", err)
			}
		},
	})
	ns.Close()
	if err != nil {
		return nil, fmt.Errorf("route subscription in %s: %w", h.Namespace(), err)
	}
	return w, nil
}

// close ends the subscription.
func (w *routeWatch) close() { close(w.done) }

// next returns the next notification about the anycast /128.
func (w *routeWatch) next(timeout time.Duration) (routeEvent, error) {
	deadline := time.After(timeout)
	for {
		select {
		case u, ok := <-w.ch:
			if !ok {
				return routeEvent{}, errors.New("route subscription closed")
			}
			at := time.Now()
			if u.Dst == nil || u.Dst.String() != lab.Anycast.String() {
				continue
			}
			ev := routeEvent{at: at, deleted: u.Type == unix.RTM_DELROUTE}
			for _, gw := range append([]*netlink.NexthopInfo{{Gw: u.Gw}}, u.MultiPath...) {
				if a, ok := netip.AddrFromSlice(gw.Gw); ok {
					ev.hops = append(ev.hops, a.Unmap())
				}
			}
			return ev, nil
		case <-deadline:
			return routeEvent{}, fmt.Errorf("no route notification in %v", timeout)
		}
	}
}

// drain discards the notifications received so far.
func (w *routeWatch) drain() {
	for {
		select {
		case <-w.ch:
		default:
			return
		}
	}
}

// trial drops s's link, waits for the route without s, brings the link
// back and waits until the FIB has every server again.
func trial(f *lab.Farm, w *routeWatch, s *lab.Server) (time.Duration, error) {
	w.drain()
	t0 := time.Now()
	if err := setLink(s, false); err != nil {
		return 0, err
	}
	var took time.Duration
	for {
		ev, err := w.next(10 * time.Second)
		if err != nil {
			return 0, fmt.Errorf("%s dark: %w", s.Name(), err)
		}
		if !ev.deleted && len(ev.hops) > 0 && !slices.Contains(ev.hops, s.Iface.LinkLocal) {
			took = ev.at.Sub(t0)
			break
		}
	}
	if err := setLink(s, true); err != nil {
		return 0, err
	}
	return took, waitAll(f, 60*time.Second)
}

// setLink sets s's eth0 up or down from inside its namespace.
func setLink(s *lab.Server, up bool) error {
	err := s.Do(func() error {
		l, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		if up {
			return netlink.LinkSetUp(l)
		}
		return netlink.LinkSetDown(l)
	})
	if err != nil {
		return fmt.Errorf("%s eth0 up=%v: %w", s.Name(), up, err)
	}
	return nil
}

// startBFD turns BFD on at the router (bfdd, the profile, `ipv6 ospf6
// bfd` on eth0) and runs a speaker on every server.
func startBFD(f *lab.Farm, interval time.Duration, mult int) error {
	if err := f.Router.TryAddBFDD(); err != nil {
		return err
	}
	if _, err := f.Router.Vtysh(lab.FRRBFDOSPFCommands("servers", interval, mult, "eth0")...); err != nil {
		return err
	}
	for _, s := range f.Servers {
		sp, err := s.TryStartBFD("eth0", bfd.Config{DesiredMinTx: interval, RequiredMinRx: interval, Multiplier: uint8(mult)},
			slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		if err := sp.SetPeers([]netip.Addr{f.RouterIf.LinkLocal}); err != nil {
			return fmt.Errorf("%s: BFD peers: %w", s.Name(), err)
		}
	}
	return nil
}

// waitBFDUp waits until bfdd's session with s is up.
func waitBFDUp(f *lab.Farm, s *lab.Server) error {
	_, err := lab.Wait(30*time.Second, "bfdd's session with "+s.Name()+" up", func() (bool, error) {
		p, ok, err := f.Router.BFDPeer(s.Iface.LinkLocal)
		return err == nil && ok && p.Status == "up", fmt.Errorf("%+v %v %v", p, ok, err)
	})
	return err
}
