package config

import (
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/anycostd/anycostd/ndproxy"
)

// Mode is how a service is announced to the link router.
type Mode uint8

// Service modes.
const (
	// ModeOSPF advertises the service's /128 in OSPFv3 (the default).
	ModeOSPF Mode = iota
	// ModeND takes turns with Neighbor Advertisements (package ndproxy).
	ModeND
)

func (m Mode) String() string {
	switch m {
	case ModeOSPF:
		return "ospf"
	case ModeND:
		return "nd"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode reads a mode as the configuration spells it: "ospf" or "nd".
func ParseMode(s string) (Mode, bool) {
	for _, m := range []Mode{ModeOSPF, ModeND} {
		if s == m.String() {
			return m, true
		}
	}
	return 0, false
}

// MarshalText writes the mode as the configuration spells it.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (m *Mode) UnmarshalText(b []byte) error {
	v, ok := ParseMode(string(b))
	if !ok {
		return fmt.Errorf("%q is not a mode (ospf or nd)", b)
	}
	*m = v
	return nil
}

// ND holds the [nd] table: the link where services in ND mode take turns.
type ND struct {
	// Interface is the link to the router; empty when there is no [nd].
	Interface    string
	MinGap       time.Duration
	StandbyAfter time.Duration
}

type rawND struct {
	Interface    any `toml:"interface"`
	MinGap       any `toml:"min_gap"`
	StandbyAfter any `toml:"standby_after"`
}

// HasOSPF reports whether the OSPFv3 speaker runs: an [ospf] table.
func (c *Config) HasOSPF() bool { return c.OSPF.Interface != "" }

// HasND reports whether the ND speaker runs: an [nd] table.
func (c *Config) HasND() bool { return c.ND.Interface != "" }

// ModeServices returns the services in mode m, in file order.
func (c *Config) ModeServices(m Mode) []Service {
	var out []Service
	for _, s := range c.Services {
		if s.Mode == m {
			out = append(out, s)
		}
	}
	return out
}

// mode parses a service's mode key.
func (v *validator) mode(key string, x any) Mode {
	s, ok := v.str(key, x)
	if !ok {
		return ModeOSPF
	}
	if m, ok := ParseMode(s); ok {
		return m
	}
	v.errorf(key, "%q is not a mode (ospf or nd)", s)
	return modeBad
}

// modeBad marks a service whose mode key is wrong: it needs neither
// speaker (the configuration is rejected anyway).
const modeBad Mode = 255

// nd checks the [nd] table; required says a service is in ND mode.
func (v *validator) nd(r *rawND, required bool) ND {
	n := ND{MinGap: ndproxy.DefaultMinGap, StandbyAfter: ndproxy.DefaultStandbyAfter}
	if r == nil {
		r = &rawND{}
	}
	switch {
	case r.Interface != nil:
		if s, ok := v.str("nd.interface", r.Interface); ok {
			if validIfName(s) {
				n.Interface = s
			} else {
				v.errorf("nd.interface", "%q is not an interface name", s)
			}
		}
	case required || present(r):
		v.missing("nd.interface", `interface = "eth0" in [nd] (a service has mode = "nd")`)
	}
	var gapOK bool
	n.MinGap, gapOK = v.durationIn("nd.min_gap", r.MinGap, ndproxy.DefaultMinGap, minGapBound)
	if err := ndproxy.CheckMinGap(n.MinGap); gapOK && err != nil {
		v.errorf("nd.min_gap", "%v", err)
		n.MinGap, gapOK = ndproxy.DefaultMinGap, false
	}
	var standbyOK bool
	n.StandbyAfter, standbyOK = v.durationIn("nd.standby_after", r.StandbyAfter, ndproxy.DefaultStandbyAfter, standbyBound)
	if err := ndproxy.CheckStandbyAfter(n.StandbyAfter, n.MinGap); gapOK && standbyOK && err != nil {
		v.errorf("nd.standby_after", "%v", err)
	}
	return n
}

// present reports whether a raw table struct has any key set.
func present(table any) bool {
	rv := reflect.ValueOf(table)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return false
		}
		rv = rv.Elem()
	}
	for i := range rv.NumField() {
		if !rv.Field(i).IsZero() {
			return true
		}
	}
	return false
}

// needs says which speakers the services need: OSPF unless every service
// is in ND mode (a config without services still needs [ospf]).
func needs(svcs []Service) (ospf, nd bool) {
	ospf = len(svcs) == 0
	for _, s := range svcs {
		switch s.Mode {
		case ModeND:
			nd = true
		case ModeOSPF:
			ospf = true
		}
	}
	return ospf, nd
}
