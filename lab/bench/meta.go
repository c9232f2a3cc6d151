package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// meta describes the machine and the software of a run.
type meta struct {
	Date      time.Time
	Duration  time.Duration
	Cores     int
	CPU       string
	MemTotal  string
	Kernel    string
	OS        string
	FRR       string
	NSD       string
	DNSPerf   string
	ExaBGP    string
	Go        string
	Commit    string
	LoadAvg   string
	OtherLabs int // lab namespaces of other runs present at the start
	// Autogroup is kernel.sched_autogroup_enabled ("unknown" without it).
	Autogroup string
	// CPU pressure stall (PSI "some" total) over the whole run, and the
	// run's wall time it is compared with; StallOK is false without PSI.
	StallStart time.Duration
	Stall      time.Duration
	StallOK    bool
}

func collectMeta() meta {
	m := meta{Date: time.Now(), Cores: runtime.NumCPU(), Go: runtime.Version()}
	if d, err := cpuStall(); err == nil {
		m.StallStart, m.StallOK = d, true
	}
	m.Kernel = cmdOut("uname", "-r")
	m.FRR = cmdOut("dpkg-query", "-W", "-f", "${Version}", "frr")
	m.NSD = cmdOut("dpkg-query", "-W", "-f", "${Version}", "nsd")
	m.DNSPerf = cmdOut("dpkg-query", "-W", "-f", "${Version}", "dnsperf")
	m.ExaBGP = cmdOut("dpkg-query", "-W", "-f", "${Version}", "exabgp")
	m.Commit = cmdOut("git", "rev-parse", "--short", "HEAD")
	if d := cmdOut("git", "status", "--porcelain", "--untracked-files=no"); d != "" {
		m.Commit += " (with uncommitted changes)"
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				m.MemTotal = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	m.Autogroup = "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/sched_autogroup_enabled"); err == nil {
		m.Autogroup = strings.TrimSpace(string(b))
	}
	if ents, err := filepath.Glob("/var/run/netns/acd*-*"); err == nil {
		m.OtherLabs = len(ents)
	}
	return m
}

// cmdOut runs a command and returns its trimmed output, or "unknown".
func cmdOut(argv ...string) string {
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
