package config

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"
)

// validator turns the raw form into a Config, collecting every problem.
type validator struct {
	file string
	ix   *keyIndex
	errs Errors
	// keyFileKeys is the key_file key of each Auth.Keys entry, for the
	// host checks.
	keyFileKeys []string
}

func (v *validator) errorf(key, format string, args ...any) {
	v.errs = append(v.errs, &Error{
		File: v.file,
		Line: v.ix.lookup(key),
		Key:  key,
		Msg:  fmt.Sprintf(format, clipArgs(args)...),
	})
}

// describe names a decoded TOML value for a message (a string value cut).
func describe(x any) ours {
	switch x := x.(type) {
	case string:
		return ours(fmt.Sprintf("string %q", clipped(x)))
	case int64:
		return ours("integer " + strconv.FormatInt(x, 10))
	case float64:
		return ours("float " + strconv.FormatFloat(x, 'g', -1, 64))
	case bool:
		return ours("boolean " + strconv.FormatBool(x))
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case time.Time:
		return "a date-time"
	}
	return ours(fmt.Sprintf("a value of type %T", x))
}

// missing reports a required key that is absent.
func (v *validator) missing(key, example string) {
	v.errorf(key, "missing: this key is required, e.g. %s", ours(example))
}

// str returns a string value; ok is false when the key is absent or not
// a string (then reported).
func (v *validator) str(key string, x any) (s string, ok bool) {
	if x == nil {
		return "", false
	}
	s, ok = x.(string)
	if !ok {
		v.errorf(key, "want a string, got %s", describe(x))
	}
	return s, ok
}

// integer returns an integer in lo..hi, or def when absent or wrong.
func (v *validator) integer(key string, x any, lo, hi, def int64) int64 {
	if x == nil {
		return def
	}
	n, ok := x.(int64)
	if !ok {
		v.errorf(key, "want an integer, got %s", describe(x))
		return def
	}
	if n < lo || n > hi {
		v.errorf(key, "%d is out of range %d..%d", n, lo, hi)
		return def
	}
	return n
}

// boolean returns a boolean, or def when absent or wrong.
func (v *validator) boolean(key string, x any, def bool) bool {
	if x == nil {
		return def
	}
	b, ok := x.(bool)
	if !ok {
		v.errorf(key, "want true or false, got %s", describe(x))
		return def
	}
	return b
}

// anyNumber returns an integer or float as a float; ok is false when
// absent or of another type (then reported).
func (v *validator) anyNumber(key string, x any) (float64, bool) {
	switch x := x.(type) {
	case nil:
		return 0, false
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	v.errorf(key, "want a number, got %s", describe(x))
	return 0, false
}

// number returns a finite, non-negative number (integer or float).
func (v *validator) number(key string, x any) (float64, bool) {
	f, ok := v.anyNumber(key, x)
	if !ok {
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		v.errorf(key, "%s is not a load figure (a finite number >= 0)", describe(x))
		return 0, false
	}
	return f, true
}

// durationOrZero reads a duration string, 0 included; ok is false when
// absent or wrong (then reported). durationIn adds the range.
func (v *validator) durationOrZero(key string, x any) (time.Duration, bool) {
	switch x := x.(type) {
	case nil:
		return 0, false
	case string:
		d, err := time.ParseDuration(x)
		if err != nil {
			v.errorf(key, "%q is not a duration (write e.g. \"1.5s\" or \"100ms\")", x)
			return 0, false
		}
		if d < 0 {
			v.errorf(key, "%q is negative", x)
			return 0, false
		}
		return d, true
	case int64:
		v.errorf(key, "%d has no unit: write durations as strings, e.g. \"%ds\"", x, x)
	default:
		v.errorf(key, "want a duration string such as \"1s\", got %s", describe(x))
	}
	return 0, false
}

// parseDottedQuad parses a 32-bit ID written as an IPv4 address.
func parseDottedQuad(s string) (uint32, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}

// DottedQuad writes a router or area ID as an IPv4 address.
func DottedQuad(id uint32) string {
	return netip.AddrFrom4([4]byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}).String()
}

// validIfName reports whether s can be a Linux interface name.
func validIfName(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '/' || c == ':' || c >= 0x7f {
			return false
		}
	}
	return true
}
