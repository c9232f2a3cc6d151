package lab

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envSoak sets the soak's length (a Go duration); the default is 2 min.
// The full soak is ANYCOSTD_SOAK=30m.
const envSoak = "ANYCOSTD_SOAK"

// soakMetrics is where s1's daemon serves Prometheus metrics in its
// namespace.
const soakMetrics = "[::1]:9153"

// soakSample is one reading of the daemon's resources.
type soakSample struct {
	at         time.Duration
	goroutines int
	rss        int64
}

func (s soakSample) String() string {
	return fmt.Sprintf("%v: %d goroutines, RSS %.1f MiB", s.at.Round(time.Second), s.goroutines, float64(s.rss)/(1<<20))
}

// goroutines reads go_goroutines from the server's metrics endpoint.
func goroutines(s *Server) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := s.Run(ctx, "curl", "-sf", "http://"+soakMetrics+"/metrics")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, fmt.Errorf("no go_goroutines in the metrics of %s", s.Name())
}

func takeSample(t *testing.T, s *Server, start time.Time) soakSample {
	t.Helper()
	g, err := goroutines(s)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	rss, err := s.Proc.RSS()
	if err != nil {
		t.Fatalf("RSS: %v", err)
	}
	return soakSample{at: time.Since(start), goroutines: g, rss: rss}
}

// Issue 6, part 5: the soak. For ANYCOSTD_SOAK (default 90 s; make soak
// runs 30 min) s1's inputs change every 100 ms, drained and undrained over
// the control socket or its metric changed by SIGHUP, and the router
// restarts every 30 s (every 3 min from 10 min of soak on). s1's goroutine count
// (Prometheus go_goroutines) and RSS must stay flat; at the end the
// router's LSDB and s1's agree on s1's own LSAs and the FIB is right.
func TestSoak(t *testing.T) {
	t.Parallel() // quiet: see "Tests side by side" in doc.go
	length := 90 * time.Second
	if v := os.Getenv(envSoak); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", envSoak, v, err)
		}
		length = d
	}
	restartEvery := 30 * time.Second
	if length >= 10*time.Minute {
		restartEvery = 3 * time.Minute
	}
	f := NewFarm(t, 2)
	s1, s2 := f.Servers[0], f.Servers[1]
	config := func(metric int) string {
		return fmt.Sprintf("metrics_listen = %q\n", soakMetrics) + s1.TOML(ServiceTOML("dns", Anycast, metric))
	}
	s1.WriteConfig(config(10))
	for _, s := range f.Servers {
		s.Start()
	}
	all := LinkLocals(s1, s2)
	fibIs(t, f, Anycast, 30*time.Second, "2-way ECMP", all)

	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), 5))
	var samples []soakSample
	samples = append(samples, takeSample(t, s1, start))
	nextSample := start.Add(10 * time.Second)
	nextRestart := start.Add(restartEvery)
	var drains, undrains, reloads, restarts int
	drained := false
	end := start.Add(length)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for ; time.Now().Before(end); <-tick.C {
		switch rng.IntN(3) {
		case 0, 1: // the control socket: flip the drain
			cmd := "drain"
			if drained {
				cmd = "undrain"
			}
			if out, err := s1.CLI(cmd, "dns"); err != nil {
				t.Fatalf("anycostd %s: %v: %s", cmd, err, out)
			}
			drained = !drained
			if drained {
				drains++
			} else {
				undrains++
			}
		case 2: // SIGHUP with another metric
			s1.WriteConfig(config(10 * (1 + rng.IntN(4))))
			s1.Signal(syscall.SIGHUP)
			reloads++
		}
		if now := time.Now(); now.After(nextRestart) {
			f.Router.Restart()
			restarts++
			nextRestart = time.Now().Add(restartEvery)
		}
		if now := time.Now(); now.After(nextSample) {
			samples = append(samples, takeSample(t, s1, start))
			nextSample = now.Add(10 * time.Second)
		}
		select {
		case <-s1.Proc.Done():
			t.Fatalf("anycostd exited during the soak: %v\n%s", s1.Proc.Wait(), tail(s1.Proc.LogPath(), 30))
		default:
		}
	}

	// Quiet again: undrained at metric 10. The FIB must come right and
	// both LSDBs agree on s1's LSAs.
	if drained {
		if out, err := s1.CLI("undrain", "dns"); err != nil {
			t.Fatalf("anycostd undrain: %v: %s", err, out)
		}
	}
	s1.WriteConfig(config(10))
	s1.Signal(syscall.SIGHUP)
	settle := fibIs(t, f, Anycast, 30*time.Second, "2-way ECMP after the soak", all)
	WaitFor(t, 20*time.Second, "router's LSDB and s1's agree on s1's LSAs", func() (bool, error) {
		return sameOwnLSAs(f.Router, s1)
	})
	time.Sleep(2 * time.Second) // goroutines of the last requests gone
	last := takeSample(t, s1, start)
	samples = append(samples, last)
	var lines []string
	for _, s := range samples {
		lines = append(lines, s.String())
	}
	t.Logf("soak %v: %d drains, %d undrains, %d SIGHUP reloads, %d router restarts; ECMP back %v after the inputs stopped",
		length, drains, undrains, reloads, restarts, settle.Round(time.Millisecond))
	t.Logf("s1's anycostd:\n  %s", strings.Join(lines, "\n  "))
	st, err := s1.Status()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("s1 counters: %+v", st.Counters)

	// Flat. Goroutines: the last sample (quiet again) against the first
	// (running and Full, before any input). RSS: the heap settles in the
	// first quarter of the soak (about 30 s); from there to the end it may
	// grow by a quarter plus 2 MiB at most.
	first := samples[0]
	base := samples[len(samples)-1]
	peakRSS := first.rss
	for _, s := range samples {
		peakRSS = max(peakRSS, s.rss)
		if s.at >= length/4 && s.at < base.at {
			base = s
		}
	}
	if last.goroutines > first.goroutines+3 {
		t.Errorf("goroutines grew from %d to %d", first.goroutines, last.goroutines)
	}
	if last.rss > base.rss*5/4+2<<20 {
		t.Errorf("RSS grew from %.1f MiB at %v to %.1f MiB at the end", float64(base.rss)/(1<<20), base.at.Round(time.Second), float64(last.rss)/(1<<20))
	}
	t.Logf("RSS %.1f MiB at start, %.1f MiB at %v, %.1f MiB at the end, %.1f MiB peak; goroutines %d at start, %d at the end",
		float64(first.rss)/(1<<20), float64(base.rss)/(1<<20), base.at.Round(time.Second), float64(last.rss)/(1<<20),
		float64(peakRSS)/(1<<20), first.goroutines, last.goroutines)
}
