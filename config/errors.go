package config

import (
	"errors"
	"strconv"
	"strings"
)

// Error is one problem in a configuration file.
type Error struct {
	File string // the name given to Parse, or the path given to Load
	Line int    // 1-based; 0 when unknown
	Key  string // dotted key path, arrays of tables indexed: service[1].probe.kind
	Msg  string
}

// Error formats e as "file:line: key: msg", leaving out what is unknown;
// a key or message too long to read is cut (clip.go).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(clipEcho(e.Key, maxKeyEcho))
		b.WriteString(": ")
	}
	b.WriteString(clipEcho(e.Msg, maxMsgEcho))
	return b.String()
}

// Errors lists every problem found in one file, in file order where the
// lines are known. Its Error joins them one per line.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap exposes each *Error to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// AsErrors returns the problems err carries: the list from Parse or Load,
// or nil when err is not a configuration problem (a file that cannot be
// read, for instance).
func AsErrors(err error) Errors {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}
	}
	return nil
}
