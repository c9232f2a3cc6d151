package costmodel

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// WhatIfKeys are the KEY of each KEY=VALUE ParseWhatIfSet reads, with what
// it sets, in the order help shows them.
var WhatIfKeys = []struct{ Key, Help string }{
	{"socket", "present or absent: a socket of the service is bound (needs [service.socket])"},
	{"rqueue", "receive-queue fill 0..1 of the service's socket (socket present)"},
	{"drops", "datagrams the socket drops per second (socket present)"},
	{"probe", "ok or fail: the probe's checks (needs [service.probe])"},
	{"probe_ms", "milliseconds a good probe takes to get its answer"},
	{"external", "the external load figure 0..1 (0..2 for a counter over full_rate), or error (needs [service.external])"},
	{"cpu", "the CPU utilisation 0..2 (1: all the CPU the service may use), or error (needs [service.cpu])"},
	{"drain", "on or off: the operator's manual drain (anycostd drain)"},
	{"drain_file", "on or off: the drain file exists (needs drain_file)"},
}

// ParseWhatIfSet reads a list of KEY=VALUE (the keys of WhatIfKeys). Its
// errors start with the item at fault, so a caller can prefix the flag
// that carried it.
func ParseWhatIfSet(list []string) (WhatIfSet, error) {
	var s WhatIfSet
	seen := map[string]bool{}
	for _, kv := range list {
		key, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || key == "" || v == "" {
			return s, fmt.Errorf("%q: want KEY=VALUE", kv)
		}
		if seen[key] {
			return s, fmt.Errorf("%s given twice", key)
		}
		seen[key] = true
		if err := s.set(key, v); err != nil {
			return s, err
		}
	}
	switch {
	case s.Socket != nil && !*s.Socket && (s.RQueue != nil || s.DropRate != nil):
		return s, errors.New("socket=absent: rqueue and drops need a present socket")
	case s.ProbeOK != nil && !*s.ProbeOK && s.ProbeMS != nil:
		return s, errors.New("probe=fail: probe_ms is the latency of a good probe")
	}
	return s, nil
}

// set sets the input key to the value v.
func (s *WhatIfSet) set(key, v string) (err error) {
	switch key {
	case "socket":
		s.Socket, err = choice(key, v, "present", "absent", "gone")
	case "rqueue":
		s.RQueue, err = number(key, v, 0, 1)
	case "drops":
		s.DropRate, err = number(key, v, 0, 1e9)
	case "probe":
		s.ProbeOK, err = choice(key, v, "ok", "fail")
	case "probe_ms":
		s.ProbeMS, err = number(key, v, 0, 3.6e6)
	case "external":
		if v == "error" {
			s.ExtErr = true
			return nil
		}
		s.External, err = number(key, v, 0, MaxLoad)
	case "cpu":
		if v == "error" {
			s.CPUErr = true
			return nil
		}
		s.CPU, err = number(key, v, 0, MaxLoad)
	case "drain":
		s.Drain, err = parseOnOff(key, v)
	case "drain_file":
		s.DrainFile, err = parseOnOff(key, v)
	default:
		keys := make([]string, len(WhatIfKeys))
		for i, k := range WhatIfKeys {
			keys[i] = k.Key
		}
		err = fmt.Errorf("%s: unknown input (known: %s)", key, strings.Join(keys, ", "))
	}
	return err
}

// choice reads v as yes (true) or one of no (false).
func choice(key, v, yes string, no ...string) (*bool, error) {
	b := v == yes
	if !b && !slices.Contains(no, v) {
		return nil, fmt.Errorf("%s=%s: want %s or %s", key, v, yes, no[0])
	}
	return &b, nil
}

func parseOnOff(key, v string) (*bool, error) {
	b := slices.Contains([]string{"on", "true", "yes", "1"}, v)
	if !b && !slices.Contains([]string{"off", "false", "no", "0"}, v) {
		return nil, fmt.Errorf("%s=%s: want on or off", key, v)
	}
	return &b, nil
}

func number(key, v string, lo, hi float64) (*float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return nil, fmt.Errorf("%s=%s: want a number in %g..%g", key, v, lo, hi)
	}
	return &f, nil
}
