package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/anycostd/anycostd/lab"
)

// costJSON is the part of `anycostd cost --json` (docs/control.md) the
// demo shows.
type costJSON struct {
	Service string `json:"service"`
	Wire    *struct {
		Prefix     string `json:"prefix"`
		Advertised bool   `json:"advertised"`
		Metric     int    `json:"metric"`
		Wanted     bool   `json:"wanted"`
		WantMetric int    `json:"want_metric"`
	} `json:"wire"`
	Tier   int     `json:"tier"`
	Load   float64 `json:"load"`
	Health struct {
		Up bool `json:"up"`
	} `json:"health"`
	Present bool `json:"socket_present"`
	Drained bool `json:"drained"`
}

// sampler reads the servers and the routers once a second into a
// record.
type sampler struct {
	servers []*lab.Server
	// routes reads the routers' FIBs into a sample.
	routes func(*sample)
	rec    *record
	// onSample is called after each sample (the screen redraws).
	onSample func()

	prev []rxReading
	stop context.CancelFunc
	done chan struct{}
}

type rxReading struct {
	at time.Time
	n  uint64
	ok bool
}

func newSampler(servers []*lab.Server, routes func(*sample), rec *record, onSample func()) *sampler {
	return &sampler{servers: servers, routes: routes, rec: rec, onSample: onSample, prev: make([]rxReading, len(servers))}
}

// start samples now and then once a second until halt.
func (s *sampler) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			s.sampleOnce(ctx)
			if s.onSample != nil {
				s.onSample()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// halt stops the sampler and waits for it.
func (s *sampler) halt() {
	if s.stop == nil {
		return
	}
	s.stop()
	<-s.done
}

func (s *sampler) sampleOnce(ctx context.Context) {
	at := s.rec.since()
	servers := s.servers
	smp := sample{At: at, Servers: make([]serverState, len(servers))}
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &smp.Servers[i]
			n, err := srv.RxPackets("eth0")
			now := time.Now()
			if err == nil {
				if p := s.prev[i]; p.ok && n >= p.n {
					if dt := now.Sub(p.at).Seconds(); dt > 0.2 {
						st.QPS, st.QPSOK = float64(n-p.n)/dt, true
					}
				}
				s.prev[i] = rxReading{at: now, n: n, ok: true}
			} else {
				s.prev[i] = rxReading{}
			}
			if ctx.Err() != nil {
				return
			}
			out, err := srv.CLI("cost", "--json", "dns")
			if err != nil {
				return
			}
			var views []costJSON
			if json.Unmarshal(out, &views) != nil || len(views) == 0 {
				return
			}
			v := views[0]
			st.Daemon = true
			st.Tier, st.Load, st.Present, st.Up, st.Drained = v.Tier, v.Load, v.Present, v.Health.Up, v.Drained
			if w := v.Wire; w != nil {
				st.Advertised, st.Metric, st.Prefix = w.Advertised, w.Metric, w.Prefix
				st.Wanted, st.WantMetric = w.Wanted, w.WantMetric
				st.Paced = w.Wanted != w.Advertised || (w.Wanted && w.WantMetric != w.Metric)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.routes(&smp)
	}()
	wg.Wait()
	s.rec.addSample(smp)
}

// farmRoutes reads the router's next hops for the anycast /128 in a
// single farm (indices into servers).
func farmRoutes(router *lab.Host, servers []*lab.Server) func(*sample) {
	return func(smp *sample) {
		hops, err := router.FIBNextHops(lab.Anycast)
		if err != nil {
			return
		}
		smp.HopsOK = true
		for _, h := range hops {
			if i := serverOf(servers, h); i >= 0 {
				smp.Hops = append(smp.Hops, i)
			} else {
				smp.Other++
			}
		}
		slices.Sort(smp.Hops)
	}
}

// serverOf returns the index of the server whose link-local address is a,
// or -1.
func serverOf(servers []*lab.Server, a netip.Addr) int {
	for i, srv := range servers {
		if srv.Iface.LinkLocal == a.WithZone("") {
			return i
		}
	}
	return -1
}
