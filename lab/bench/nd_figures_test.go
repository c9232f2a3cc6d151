package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const ndHeading = "## 7. ND mode beside OSPFv3 mode (lab/nd_test.go)\n"

// TestNDFiguresFile checks the embedded section 7: the checked-in file
// itself, one level-2 heading (its own), subsections numbered 7.x.
func TestNDFiguresFile(t *testing.T) {
	disk, err := os.ReadFile("nd_figures.md")
	if err != nil {
		t.Fatal(err)
	}
	if ndFigures != string(disk) {
		t.Errorf("the embedded section differs from nd_figures.md on disk")
	}
	if !strings.HasPrefix(ndFigures, ndHeading) {
		t.Errorf("nd_figures.md starts with %q, want the heading %q", firstLine(ndFigures), ndHeading)
	}
	if got := regexp.MustCompile(`(?m)^## .*$`).FindAllString(ndFigures, -1); len(got) != 1 {
		t.Errorf("nd_figures.md has level-2 headings %q, want only its own", got)
	}
	for _, h := range regexp.MustCompile(`(?m)^###+ .*$`).FindAllString(ndFigures, -1) {
		if !strings.HasPrefix(h, "### 7.") {
			t.Errorf("subsection heading %q is not numbered 7.x", h)
		}
	}
	if !strings.HasSuffix(ndFigures, "\n") {
		t.Errorf("nd_figures.md does not end with a newline")
	}
}

// TestReportNDFigures writes reports with every row, with some rows and
// with none, and checks that each carries section 7 verbatim, once, after
// the numbered rows and before the caveats, and that the numbered sections
// stay in order.
func TestReportNDFigures(t *testing.T) {
	all := map[string]bool{}
	for _, r := range allRows {
		all[r] = true
	}
	for _, tc := range []struct {
		name     string
		ran      map[string]bool
		sections []string
	}{
		{"all rows", all, []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		{"dark alone", map[string]bool{"dark": true}, []string{"7", "9"}},
		{"failover and balance", map[string]bool{"failover": true, "balance": true}, []string{"1", "6", "7"}},
		{"no row", map[string]bool{}, []string{"7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &bench{res: &results{}, notes: map[string][]string{}}
			var out bytes.Buffer
			if err := b.writeReport(&out, "BENCHMARKS.csv", tc.ran); err != nil {
				t.Fatal(err)
			}
			rep := out.String()
			if n := strings.Count(rep, ndFigures); n != 1 {
				t.Fatalf("the report holds nd_figures.md %d times, want once", n)
			}
			var got []string
			for _, m := range regexp.MustCompile(`(?m)^## ([0-9]+)\. `).FindAllStringSubmatch(rep, -1) {
				got = append(got, m[1])
			}
			if diff := cmp.Diff(tc.sections, got); diff != "" {
				t.Errorf("numbered sections (-want +got):\n%s", diff)
			}
			at := strings.Index(rep, ndFigures)
			if !strings.HasSuffix(rep[:at], "\n\n") {
				t.Errorf("section 7 does not start a paragraph: %q precedes it", rep[max(0, at-40):at])
			}
			caveats := strings.Index(rep, "\n## Caveats\n")
			if caveats < at+len(ndFigures)-1 {
				t.Errorf("the caveats (at %d) do not follow section 7 (at %d-%d)", caveats, at, at+len(ndFigures))
			}
			if !strings.HasSuffix(rep[:caveats+1], "\n\n") {
				t.Errorf("no blank line between section 7 and the caveats")
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
