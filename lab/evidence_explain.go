package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// explainQueries is how many unanswered queries Explain follows one by
// one (a stall or an outage can leave thousands).
const explainQueries = 10

// frame is one captured frame as Explain reads it from tshark.
type frame struct {
	at               time.Time
	ethSrc, ethDst   string
	src, dst         string
	sport, dport     int
	id               int
	response         bool
	icmpType, icmpCo string // set for ICMPv6 (then the UDP fields are the quoted packet's)
}

// flowKey names one query of dnsperf: its client port and message ID.
type flowKey struct{ port, id int }

// readFrames decodes a capture with tshark.
func readFrames(pcap string) ([]frame, error) {
	out, err := runCmd("tshark", "-n", "-r", pcap, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=l",
		"-e", "frame.time_epoch", "-e", "eth.src", "-e", "eth.dst", "-e", "ipv6.src", "-e", "ipv6.dst",
		"-e", "udp.srcport", "-e", "udp.dstport", "-e", "dns.id", "-e", "dns.flags.response",
		"-e", "icmpv6.type", "-e", "icmpv6.code")
	if err != nil {
		return nil, err
	}
	var fs []frame
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		c := strings.Split(line, "\t")
		if len(c) < 11 {
			continue
		}
		sec, err := strconv.ParseFloat(c[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: time %q: %w", pcap, c[0], err)
		}
		f := frame{at: time.Unix(0, int64(sec*1e9)), ethSrc: c[1], ethDst: c[2], src: c[3], dst: c[4],
			response: c[8] == "1" || c[8] == "True", icmpType: c[9], icmpCo: c[10]}
		f.sport, _ = strconv.Atoi(c[5])
		f.dport, _ = strconv.Atoi(c[6])
		f.id = -1
		if v, err := strconv.ParseInt(strings.TrimPrefix(c[7], "0x"), 16, 32); err == nil {
			f.id = int(v)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// key is the query's client port and message ID, for a query or its answer.
func (f frame) key() flowKey {
	if f.response && f.icmpType == "" {
		return flowKey{f.dport, f.id}
	}
	return flowKey{f.sport, f.id}
}

func (f frame) isDNS() bool { return f.icmpType == "" && f.id >= 0 }

// unanswered lists the queries of a capture with no answer within
// timeout (each answer matched to the latest earlier query of its key).
func unanswered(fs []frame, timeout time.Duration) (lost, late []frame, queries int) {
	open := map[flowKey]frame{}
	for _, f := range fs {
		if !f.isDNS() {
			continue
		}
		k := f.key()
		if !f.response {
			queries++
			if q, ok := open[k]; ok {
				lost = append(lost, q) // the ID was reused: that one never got an answer
			}
			open[k] = f
			continue
		}
		q, ok := open[k]
		if !ok {
			continue
		}
		delete(open, k)
		if f.at.Sub(q.at) > timeout {
			late = append(late, q)
		}
	}
	for _, q := range open {
		lost = append(lost, q)
	}
	return lost, late, queries
}

// Explain follows every query the client link saw go out and never saw
// answered within timeout through the router's server link and the
// servers' links, and puts the FIB, neighbor and address changes, the
// ICMPv6 errors and the counters around it next to it. It writes the
// report to explain.txt in the recording and returns it.
func (r *Recorder) Explain(perf PerfResult, timeout time.Duration) string {
	var b strings.Builder
	defer func() { _ = os.WriteFile(filepath.Join(r.dir, "explain.txt"), []byte(b.String()), 0o644) }()
	macs := r.serverMACs()
	client, err := readFrames(filepath.Join(r.dir, "r1-eth1.pcap"))
	if err != nil {
		fmt.Fprintf(&b, "client link capture: %v\n", err)
		return b.String()
	}
	lost, late, queries := unanswered(client, timeout)
	fmt.Fprintf(&b, "dnsperf: sent %d, completed %d, lost %d; the router's client link saw %d queries, %d unanswered, %d answered later than %v\n",
		perf.Sent, perf.Completed, perf.Lost, queries, len(lost), len(late), timeout)
	shown := 0
	for _, line := range strings.Split(perf.Output, "\n") {
		if strings.Contains(line, "Timeout") || strings.Contains(line, "unexpected") || strings.Contains(line, "Warning") {
			if shown++; shown <= explainQueries {
				fmt.Fprintf(&b, "  dnsperf: %s\n", line)
			}
		}
	}
	if shown > explainQueries {
		fmt.Fprintf(&b, "  dnsperf: ... %d such lines in all\n", shown)
	}
	links := map[string][]frame{}
	for _, name := range append([]string{"r1-eth0"}, r.serverNames()...) {
		fs, err := readFrames(filepath.Join(r.dir, name+".pcap"))
		if err != nil {
			fmt.Fprintf(&b, "%s capture: %v\n", name, err)
		}
		links[name] = fs
	}
	followed := append(append([]frame(nil), lost...), late...)
	slices.SortFunc(followed, func(a, b frame) int { return a.at.Compare(b.at) })
	if len(followed) > explainQueries {
		fmt.Fprintf(&b, "\nthe first %d of them, followed:\n", explainQueries)
		followed = followed[:explainQueries]
	}
	for _, q := range followed {
		k := q.key()
		fmt.Fprintf(&b, "\nquery port %d id %d left the router's client port at %s (%.3f s into the run)\n",
			k.port, k.id, q.at.Format("15:04:05.000000"), q.at.Sub(r.start).Seconds())
		for _, name := range append([]string{"r1-eth1", "r1-eth0"}, r.serverNames()...) {
			fs := links[name]
			if name == "r1-eth1" {
				fs = client
			}
			for _, f := range fs {
				if d := f.at.Sub(q.at); d < -time.Second || d > timeout+time.Second {
					continue
				}
				switch {
				case f.isDNS() && f.key() == k:
					dir := "query"
					if f.response {
						dir = "answer from " + f.src
					}
					fmt.Fprintf(&b, "  %-8s %s %+8.3f ms %s  eth %s -> %s (%s -> %s)\n", name, f.at.Format("15:04:05.000000"),
						float64(f.at.Sub(q.at).Microseconds())/1000, dir, macName(macs, f.ethSrc), macName(macs, f.ethDst), f.src, f.dst)
				case f.icmpType != "" && (f.key() == k || f.sport == k.port || f.dport == k.port):
					fmt.Fprintf(&b, "  %-8s %s %+8.3f ms ICMPv6 type %s code %s %s -> %s\n", name, f.at.Format("15:04:05.000000"),
						float64(f.at.Sub(q.at).Microseconds())/1000, f.icmpType, f.icmpCo, f.src, f.dst)
				}
			}
		}
	}
	if all := append(append([]frame(nil), lost...), late...); len(all) > 0 {
		first, last := all[0].at, all[0].at
		for _, q := range all {
			first, last = minTime(first, q.at), maxTime(last, q.at)
		}
		fmt.Fprintf(&b, "\nthe router's FIB and neighbor changes, the servers' address changes and anycostd's log (INFO and up) from 3 s before the first unanswered query to %v after the last:\n", timeout)
		b.WriteString(r.timeline(first.Add(-3*time.Second), last.Add(timeout)))
	}
	icmp := 0
	for _, fs := range links {
		for _, f := range fs {
			if f.icmpType != "" {
				icmp++
			}
		}
	}
	fmt.Fprintf(&b, "\nICMPv6 errors captured on the server link and servers: %d\n", icmp)
	fmt.Fprintf(&b, "machine: %s\n", r.stall)
	if c := r.CounterDeltas(); c != "" {
		fmt.Fprintf(&b, "counters that went up during the run:\n%s", c)
	} else {
		b.WriteString("no drop, error or no-route counter went up in any namespace\n")
	}
	return b.String()
}

// stampRe finds the time stamp of an `ip -ts monitor` line or of an
// slog line of anycostd (time=...).
var stampRe = regexp.MustCompile(`^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\]|time=(\S+)`)

// timeline lists the router's route, next-hop and neighbor changes, the
// servers' address changes and the servers' anycostd log lines at INFO
// and above between from and to.
func (r *Recorder) timeline(from, to time.Time) string {
	var b strings.Builder
	var logs []string
	for _, p := range r.procs {
		if strings.Contains(p.name, "/monitor-") || strings.Contains(p.name, "/addrmon-") {
			logs = append(logs, p.logPath)
		}
	}
	for _, s := range r.d.Servers {
		if s.Proc != nil {
			logs = append(logs, s.Proc.logPath)
		}
		if m, _ := filepath.Glob(filepath.Join(r.d.Lab.Dir(), s.Namespace()+"-anycostd-*.log")); len(m) > 0 {
			logs = append(logs, m...)
		}
	}
	seen := map[string]bool{}
	for _, path := range logs {
		if seen[path] {
			continue
		}
		seen[path] = true
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), r.d.Lab.Name()+"-"), ".log")
		for _, line := range strings.Split(string(data), "\n") {
			m := stampRe.FindStringSubmatch(line)
			if m == nil || strings.Contains(line, "level=DEBUG") {
				continue
			}
			var at time.Time
			if m[1] != "" {
				at, err = time.ParseInLocation("2006-01-02T15:04:05.999999", m[1], time.Local)
			} else {
				at, err = time.Parse(time.RFC3339Nano, m[2])
			}
			if err != nil || at.Before(from) || at.After(to) {
				continue
			}
			fmt.Fprintf(&b, "  %-22s %s\n", name, strings.TrimSpace(line))
		}
	}
	return b.String()
}

// serverNames are the capture names of the servers' links.
func (r *Recorder) serverNames() []string {
	var out []string
	for _, s := range r.d.Servers {
		out = append(out, s.Name()+"-eth0")
	}
	return out
}

// serverMACs maps the router's and every server's MAC address to its name.
func (r *Recorder) serverMACs() map[string]string {
	m := map[string]string{}
	add := func(h *Host, ifname, name string) {
		out, err := runCmd("ip", "-n", h.name, "-j", "link", "show", ifname)
		if err != nil {
			return
		}
		var links []struct {
			Address string `json:"address"`
		}
		if json.Unmarshal(out, &links) == nil && len(links) == 1 {
			m[links[0].Address] = name
		}
	}
	add(r.d.RouterHost, "eth0", "r1")
	add(r.d.RouterHost, "eth1", "r1")
	add(r.d.Client, "eth0", "client")
	for _, s := range r.d.Servers {
		add(s.Host, "eth0", s.Name())
	}
	return m
}

func macName(m map[string]string, mac string) string {
	if n, ok := m[mac]; ok {
		return n
	}
	return mac
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
