package main

import (
	"bufio"
	"errors"
	"os"
	"regexp"
	"strings"
	"time"
)

// decision is one "service advertisement" line of anycostd's log: when
// the daemon decided to change what it advertises, and what fired.
type decision struct {
	At     time.Time
	To     string // "withdrawn", "metric 10", ...
	Source string // the input that fired, e.g. "sock_diag destroy", "probe"
}

// decisionLine matches anycostd's slog text line for an advertisement
// change; the reason ends with the firing input's source in brackets.
var decisionLine = regexp.MustCompile(`^time=(\S+) .*msg="service advertisement" .*to=("[^"]*"|\S+) reason="([^"]*)"`)

// lastSource is the bracketed source at the end of a reason.
var lastSource = regexp.MustCompile(`\[([^\]]+)\]\s*$`)

var errNoDecision = errors.New("no matching decision in the log")

// firstDecision returns the first decision in the anycostd log at path made
// at or after since whose target is to. The log's times have millisecond
// resolution.
func firstDecision(path string, since time.Time, to string) (decision, error) {
	f, err := os.Open(path)
	if err != nil {
		return decision{}, err
	}
	defer f.Close()
	since = since.Truncate(time.Millisecond)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		d, ok := parseDecision(sc.Text())
		if ok && d.To == to && !d.At.Before(since) {
			return d, nil
		}
	}
	if err := sc.Err(); err != nil {
		return decision{}, err
	}
	return decision{}, errNoDecision
}

// parseDecision parses one log line; ok is false for any other line.
func parseDecision(line string) (decision, bool) {
	m := decisionLine.FindStringSubmatch(line)
	if m == nil {
		return decision{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, m[1])
	if err != nil {
		return decision{}, false
	}
	d := decision{At: at, To: strings.Trim(m[2], `"`)}
	if s := lastSource.FindStringSubmatch(m[3]); s != nil {
		d.Source = s[1]
	}
	return d, true
}
