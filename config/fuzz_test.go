package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that the loader never panics, that every problem names
// the file and a line inside it, and that whatever it accepts renders to
// TOML that reads back to the same Config.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/config/*.toml")
	seeds = append(seeds, referencePath)
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data)
		if err != nil {
			es := AsErrors(err)
			if es == nil {
				t.Fatalf("Parse error %v (%T) is not Errors", err, err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, e := range es {
				if e.File != "fuzz.toml" || e.Line < 0 || e.Line > lines {
					t.Fatalf("error %q: file %q line %d (document has %d lines)", e, e.File, e.Line, lines)
				}
			}
			return
		}
		again, err := Parse("rendered.toml", []byte(c.String()))
		if err != nil {
			t.Fatalf("rendered config does not parse: %v\n%s", err, c)
		}
		if diff := cmp.Diff(c, again, cmpOpts...); diff != "" {
			t.Fatalf("rendered config reads back different (-first +again):\n%s", diff)
		}
	})
}
