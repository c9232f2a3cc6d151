// Command bfdload measures what one BFD speaker (package bfd) costs with
// many sessions: the speaker runs alone in its process in one namespace,
// its peers (one bfd.Speaker per link-local address, all in a second
// process in another namespace) on the same bridged link, and the
// speaker's CPU time is read from /proc over the measurement window.
//
//	sudo go run ./lab/bfdload -sessions 64 -intervals 100ms,50ms -duration 60s
//
// It reports, per interval: the speaker's CPU as a percentage of one core,
// the peers' (for scale: 64 speakers with one session each), the packets
// sent and received per second, and the sessions that went Down during
// the window (false Downs: nothing fails on the link). Run it under the
// lab lock like any lab program.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/anycostd/anycostd/bfd"
	"github.com/anycostd/anycostd/lab"
)

func main() {
	role := flag.String("role", "", "internal: speaker or peers (run by the orchestrator inside a namespace)")
	sessions := flag.Int("sessions", 64, "number of sessions (peers)")
	intervals := flag.String("intervals", "100ms,50ms", "comma-separated intervals to measure (desired min TX = required min RX)")
	mult := flag.Int("mult", 3, "detection multiplier")
	duration := flag.Duration("duration", 60*time.Second, "measurement window per interval")
	warmup := flag.Duration("warmup", 5*time.Second, "wait after every session is Up before measuring")
	// Internal flags of the roles.
	interval := flag.Duration("interval", 100*time.Millisecond, "internal: the role's interval")
	local := flag.String("local", "", "internal: comma-separated local link-local addresses (peers role)")
	remote := flag.String("remote", "", "internal: comma-separated peer addresses")
	status := flag.String("status", "", "internal: write the status JSON here every second")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the speaker (30 s, from 5 s after all sessions are Up) to this file")
	flag.Parse()
	cfg := bfd.Config{DesiredMinTx: *interval, RequiredMinRx: *interval, Multiplier: uint8(*mult)}
	var err error
	switch *role {
	case "speaker":
		err = runSpeaker(cfg, addrs(*remote), *status, *cpuprofile)
	case "peers":
		err = runPeers(cfg, addrs(*local), addrs(*remote), *status, "")
	case "":
		err = orchestrate(*sessions, *intervals, *mult, *duration, *warmup, *cpuprofile)
	default:
		err = fmt.Errorf("unknown role %q", *role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bfdload:", err)
		os.Exit(1)
	}
}

func addrs(s string) []netip.Addr {
	var out []netip.Addr
	for _, f := range strings.Split(s, ",") {
		if a, err := netip.ParseAddr(strings.TrimSpace(f)); err == nil {
			out = append(out, a)
		}
	}
	return out
}

func join(as []netip.Addr) string {
	var ss []string
	for _, a := range as {
		ss = append(ss, a.String())
	}
	return strings.Join(ss, ",")
}

// runSpeaker is the speaker under measurement: one transport on eth0, a
// session with every remote address.
func runSpeaker(cfg bfd.Config, peers []netip.Addr, statusPath, profile string) error {
	tr, err := bfd.ListenUDP("eth0", netip.Addr{})
	if err != nil {
		return err
	}
	cfg.Interface = "eth0"
	sp, err := bfd.New(cfg, tr, nil, slog.Default())
	if err != nil {
		return err
	}
	if err := sp.SetPeers(peers); err != nil {
		return err
	}
	return run([]*bfd.Speaker{sp}, statusPath, profile)
}

// runPeers runs one speaker per local address, each with a session to
// the speaker under measurement.
func runPeers(cfg bfd.Config, locals, remote []netip.Addr, statusPath, profile string) error {
	cfg.Interface = "eth0"
	var sps []*bfd.Speaker
	for _, a := range locals {
		tr, err := bfd.ListenUDP("eth0", a)
		if err != nil {
			return err
		}
		sp, err := bfd.New(cfg, tr, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		if err := sp.SetPeers(remote); err != nil {
			return err
		}
		sps = append(sps, sp)
	}
	return run(sps, statusPath, profile)
}

// summary is what the roles write to their status file.
type summary struct {
	Sessions, Up          int
	Downs                 uint64
	PacketsIn, PacketsOut uint64
	Dropped               map[string]uint64
}

// run runs the speakers and writes their summed status every second;
// with a profile path, it profiles the CPU for 30 s from 5 s after every
// session is Up.
func run(sps []*bfd.Speaker, statusPath, profile string) error {
	var profStart, profStop time.Time
	ctx := context.Background()
	errs := make(chan error, len(sps))
	for _, sp := range sps {
		go func() {
			for range sp.Events() {
			}
		}()
		go func() { errs <- sp.Run(ctx) }()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-errs:
			return err
		case <-tick.C:
		}
		sum := summary{Dropped: map[string]uint64{}}
		for _, sp := range sps {
			st, err := sp.Status(ctx)
			if err != nil {
				return err
			}
			for k, v := range st.Dropped {
				sum.Dropped[k] += v
			}
			for _, ss := range st.Sessions {
				sum.Sessions++
				if ss.State == "Up" {
					sum.Up++
				}
				sum.Downs += ss.Downs
				sum.PacketsIn += ss.Counters.PacketsIn
				sum.PacketsOut += ss.Counters.PacketsOut
				for k, v := range ss.Counters.Dropped {
					sum.Dropped[k] += v
				}
			}
		}
		if profile != "" {
			now := time.Now()
			switch {
			case profStart.IsZero() && sum.Up == sum.Sessions && sum.Sessions > 0:
				profStart = now.Add(5 * time.Second)
			case !profStart.IsZero() && profStop.IsZero() && now.After(profStart):
				f, err := os.Create(profile)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				profStop = now.Add(30 * time.Second)
			case !profStop.IsZero() && now.After(profStop):
				pprof.StopCPUProfile()
				profile = ""
			}
		}
		b, _ := json.Marshal(sum)
		tmp := statusPath + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, statusPath); err != nil {
			return err
		}
	}
}

func readSummary(path string) (summary, error) {
	var s summary
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

// cpu is the CPU time of every thread of a process, from the schedstat of
// each task (nanoseconds on the CPU).
func cpu(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("no tasks of pid %d: %v", pid, err)
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that just exited
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q", t, b)
		}
		total += time.Duration(ns)
	}
	return total, nil
}

// orchestrate builds the lab and measures each interval in turn.
func orchestrate(n int, intervals string, mult int, duration, warmup time.Duration, profile string) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces)")
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	lines, err := measureAll(self, n, intervals, mult, duration, warmup, profile)
	fmt.Printf("BFD speaker with %d sessions, x%d, %v window each (%s)\n", n, mult, duration, time.Now().Format(time.RFC3339))
	fmt.Println("interval  speaker-cpu  peers-cpu  tx/s   rx/s   downs  dropped")
	for _, line := range lines {
		fmt.Println(line)
	}
	return err
}

// measureAll builds the lab, measures each interval in turn and returns
// the report lines so far; the lab is gone when it returns. On an error
// it writes the tails of the processes' logs to stderr first.
func measureAll(self string, n int, intervals string, mult int, duration, warmup time.Duration, profile string) (lines []string, err error) {
	l, err := lab.Open(os.Stderr)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			fmt.Fprint(os.Stderr, l.ProcessTails(30))
		}
		err = errors.Join(err, l.Close())
	}()
	lan, err := l.TryAddLink("lan")
	if err != nil {
		return nil, err
	}
	s, err := l.TryAddHost("s")
	if err != nil {
		return nil, err
	}
	p, err := l.TryAddHost("p")
	if err != nil {
		return nil, err
	}
	sIf, err := s.TryAttach(lan, "eth0")
	if err != nil {
		return nil, err
	}
	if _, err := p.TryAttach(lan, "eth0"); err != nil {
		return nil, err
	}
	var peers []netip.Addr
	for i := range n {
		a := netip.MustParseAddr(fmt.Sprintf("fe80::1:%x", i+1))
		if err := p.TryAddAddr("eth0", netip.PrefixFrom(a, 64)); err != nil {
			return nil, err
		}
		peers = append(peers, a)
	}
	for _, iv := range strings.Split(intervals, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(iv))
		if err != nil {
			return lines, fmt.Errorf("interval %q: %w", iv, err)
		}
		prof := ""
		if profile != "" {
			prof = profile + "." + d.String()
		}
		line, err := measure(l, s, p, self, sIf.LinkLocal, peers, d, mult, duration, warmup, prof)
		if err != nil {
			return lines, err
		}
		lines = append(lines, line)
	}
	return lines, nil
}

// measure runs the speaker and its peers at one interval and returns the
// report line.
func measure(l *lab.Lab, s, p *lab.Host, self string, speakerAddr netip.Addr, peers []netip.Addr, interval time.Duration, mult int, duration, warmup time.Duration, profile string) (string, error) {
	tag := interval.String()
	sStatus := filepath.Join(l.Dir(), "speaker-"+tag+".json")
	pStatus := filepath.Join(l.Dir(), "peers-"+tag+".json")
	common := []string{"-interval", tag, "-mult", strconv.Itoa(mult)}
	peersProc, err := p.TryStart("peers-"+tag, append([]string{self, "-role", "peers", "-local", join(peers), "-remote", speakerAddr.String(), "-status", pStatus}, common...)...)
	if err != nil {
		return "", err
	}
	defer peersProc.Kill()
	args := []string{self, "-role", "speaker", "-remote", join(peers), "-status", sStatus}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	speaker, err := s.TryStart("speaker-"+tag, append(args, common...)...)
	if err != nil {
		return "", err
	}
	defer speaker.Kill()
	_, err = lab.Wait(60*time.Second, fmt.Sprintf("%d sessions Up at %v", len(peers), interval), func() (bool, error) {
		sum, err := readSummary(sStatus)
		return err == nil && sum.Up == len(peers), fmt.Errorf("speaker %+v (%v)", sum, err)
	})
	if err != nil {
		return "", err
	}
	time.Sleep(warmup)
	before, err := readSummary(sStatus)
	if err != nil {
		return "", err
	}
	c0, err1 := cpu(speaker.Pid())
	p0, err2 := cpu(peersProc.Pid())
	t0 := time.Now()
	time.Sleep(duration)
	c1, err3 := cpu(speaker.Pid())
	p1, err4 := cpu(peersProc.Pid())
	el := time.Since(t0)
	time.Sleep(1100 * time.Millisecond) // one more status write
	after, err5 := readSummary(sStatus)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return "", err
	}
	dropped := 0
	for k, v := range after.Dropped {
		dropped += int(v - before.Dropped[k])
	}
	return fmt.Sprintf("%-8v  %9.2f%%  %8.2f%%  %5.0f  %5.0f  %5d  %d",
		interval, 100*(c1-c0).Seconds()/el.Seconds(), 100*(p1-p0).Seconds()/el.Seconds(),
		float64(after.PacketsOut-before.PacketsOut)/el.Seconds(), float64(after.PacketsIn-before.PacketsIn)/el.Seconds(),
		after.Downs-before.Downs, dropped), nil
}
