// Package testvec reads annotated hex test vectors: golden byte strings kept
// in testdata/ with a comment per field.
//
// Format: hex digits with optional spaces; '#' starts a comment that runs to
// the end of the line; blank lines are ignored. Example:
//
//	03          # version 3
//	01          # type 1, Hello
//	00 28       # packet length 40
package testvec

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// Parse decodes the annotated hex text s.
func Parse(s string) ([]byte, error) {
	var b strings.Builder
	for n, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.Fields(line) {
			if len(f)%2 != 0 {
				return nil, fmt.Errorf("line %d: odd number of hex digits in %q", n+1, f)
			}
			b.WriteString(f)
		}
	}
	return hex.DecodeString(b.String())
}

// Load reads and decodes the annotated hex file at path.
func Load(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
