package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// sitesCapture makes each drain trial of the sites row capture DNS and
// ICMPv6 on the client's link (the core's eth0) and on both sides of ABR
// A (its uplink eth1, its farm link eth0): a query the trial loses can
// then be followed to where it went. The captures of a trial that lost
// nothing are removed; the others stay in the lab's folder, which
// -keep-logs copies.
var sitesCapture bool

// siteCaptures are the dumpcap processes of one trial.
type siteCaptures struct {
	procs []*lab.Proc
	files []string
}

// startSiteCaptures starts dumpcap on the core's eth0 and ABR A's eth1
// and eth0 and waits until each captures.
func startSiteCaptures(x *sitesLab, trial int) (*siteCaptures, error) {
	c := &siteCaptures{}
	for _, at := range []struct {
		h      *lab.Host
		ifname string
	}{{x.s.Core, "eth0"}, {x.s.A.RouterHost, "eth1"}, {x.s.A.RouterHost, "eth0"}} {
		name := fmt.Sprintf("drain%d-%s-%s", trial, at.h.Name(), at.ifname)
		file := filepath.Join(x.s.Lab.Dir(), name+".pcap")
		p, err := at.h.TryStart("dumpcap-"+name, "dumpcap", "-q", "-P", "-s", "160", "-i", at.ifname,
			"-f", "udp port 53 or (icmp6 and ip6[40] < 133)", "-w", file)
		if err != nil {
			c.stop(false)
			return nil, err
		}
		c.procs = append(c.procs, p)
		c.files = append(c.files, file)
	}
	for _, p := range c.procs {
		if _, err := lab.Wait(10*time.Second, "dumpcap to capture", func() (bool, error) {
			b, err := os.ReadFile(p.LogPath())
			return strings.Contains(string(b), "Capturing on"), err
		}); err != nil {
			c.stop(false)
			return nil, err
		}
	}
	return c, nil
}

// stop ends the captures and, unless keep, removes their files.
func (c *siteCaptures) stop(keep bool) {
	time.Sleep(200 * time.Millisecond) // the last frames reach the files
	for _, p := range c.procs {
		_ = p.Signal(syscall.SIGTERM)
	}
	for _, p := range c.procs {
		if p.WaitTimeout(5*time.Second) != nil {
			p.Kill()
		}
	}
	if !keep {
		for _, f := range c.files {
			_ = os.Remove(f)
		}
	}
}
