package config

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// A value is echoed in a message only up to these many bytes: a 10 MB
// string in the file must not become a 10 MB log line or terminal dump.
const (
	maxValueEcho = 64  // a value quoted in a message
	maxKeyEcho   = 128 // a key path (unknown keys are the file's text)
	maxMsgEcho   = 512 // a whole message (the TOML decoder's included)
)

// clipped is a string argument of a message. Printed with %q or %s it
// shows at most maxValueEcho bytes, then how long the whole is, outside
// the quotes so that the cut is not mistaken for part of the value:
// "aaaa…"... (10485760 bytes).
type clipped string

func (c clipped) Format(f fmt.State, verb rune) {
	s, cut := clipString(string(c), maxValueEcho)
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	f.Write([]byte(s))
	if cut {
		fmt.Fprintf(f, "... (%d bytes)", len(c))
	}
}

// ours is message text written here (describe), not a value from the
// file: clipArgs leaves it whole.
type ours string

// clipArgs wraps the string arguments of a message in clipped.
func clipArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			a = clipped(s)
		}
		out[i] = a
	}
	return out
}

// clipString cuts s to at most n bytes on a UTF-8 boundary; cut says
// whether anything was left out.
func clipString(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// clipEcho cuts a key or message to n bytes, saying how long it was.
func clipEcho(s string, n int) string {
	c, cut := clipString(s, n)
	if cut {
		return c + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return c
}
