package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// style is a text attribute of the terminal (ANSI SGR codes).
type style string

const (
	plain   style = ""
	bold    style = "1"
	dim     style = "2"
	red     style = "31"
	green   style = "32"
	yellow  style = "33"
	blue    style = "34"
	purple  style = "35"
	cyan    style = "36"
	magenta style = "95" // bright magenta: a sixth server
	boldCy  style = "1;36"
)

// seg is a run of text in one style; a line is a slice of them.
type seg struct {
	text string
	st   style
}

type line []seg

// screen draws the demo: lines said once scroll up as usual, and below
// them a live block that is redrawn in place. On something that is not a
// terminal it prints the said lines and a status line now and then.
type screen struct {
	mu     sync.Mutex
	out    *os.File
	tty    bool
	color  bool
	utf8   bool
	block  []line
	drawn  int // lines of the block on the screen now
	frozen bool
}

func newScreen(out *os.File) *screen {
	s := &screen{out: out}
	_, err := unix.IoctlGetTermios(int(out.Fd()), unix.TCGETS)
	s.tty = err == nil
	s.color = s.tty && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := os.Getenv(k); v != "" {
			v = strings.ToLower(v)
			s.utf8 = strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
			break
		}
	}
	if s.tty {
		fmt.Fprint(out, "\x1b[?25l") // hide the cursor while redrawing
	}
	return s
}

// width is the terminal's width in columns (100 when unknown).
func (s *screen) width() int {
	if ws, err := unix.IoctlGetWinsize(int(s.out.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
		return int(ws.Col)
	}
	return 100
}

// render turns a line into text, colored if the screen is, cut to limit
// columns (0: no limit).
func (s *screen) render(l line, limit int) string {
	var b strings.Builder
	n := 0
	for _, g := range l {
		t := g.text
		if limit > 0 {
			if left := limit - n; utf8.RuneCountInString(t) > left {
				r := []rune(t)
				t = string(r[:max(left, 0)])
			}
		}
		n += utf8.RuneCountInString(t)
		if t == "" {
			continue
		}
		if s.color && g.st != plain {
			fmt.Fprintf(&b, "\x1b[%sm%s\x1b[0m", g.st, t)
		} else {
			b.WriteString(t)
		}
	}
	return b.String()
}

// erase removes the block from the screen; the cursor ends where it
// started.
func (s *screen) erase() {
	if s.drawn > 0 {
		fmt.Fprintf(s.out, "\r\x1b[%dA\x1b[J", s.drawn)
		s.drawn = 0
	}
}

func (s *screen) paint() {
	if s.frozen || !s.tty {
		return
	}
	w := s.width() - 1
	var b strings.Builder
	for _, l := range s.block {
		b.WriteString(s.render(l, w))
		b.WriteString("\x1b[K\n")
	}
	fmt.Fprint(s.out, b.String())
	s.drawn = len(s.block)
}

// say prints a line that stays (above the block), wrapped to the
// terminal's width with indent spaces before the continuation lines.
func (s *screen) say(l line, indent int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty && !s.frozen {
		s.erase()
	}
	for _, w := range wrap(l, s.width()-1, indent) {
		fmt.Fprintln(s.out, s.render(w, 0))
	}
	s.paint()
}

// sayBlock prints lines that stay, together, each cut to the terminal's
// width (command output: not wrapped).
func (s *screen) sayBlock(ls []line) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty && !s.frozen {
		s.erase()
	}
	limit := 0
	if s.tty {
		limit = s.width() - 1
	}
	for _, l := range ls {
		fmt.Fprintln(s.out, s.render(l, limit))
	}
	s.paint()
}

// show replaces the live block.
func (s *screen) show(block []line) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tty || s.frozen {
		return
	}
	s.erase()
	s.block = block
	s.paint()
}

// freeze leaves the block as it is on the screen for good: what is said
// afterwards goes below it.
func (s *screen) freeze() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frozen = true
	s.drawn = 0
}

// close shows the cursor again.
func (s *screen) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tty {
		fmt.Fprint(s.out, "\x1b[?25h")
	}
}

// wrap breaks l at spaces so that no piece is wider than width; pieces
// after the first start with indent spaces.
func wrap(l line, width, indent int) []line {
	if width < 30 {
		return []line{l}
	}
	var out []line
	var cur line
	n := 0
	for _, g := range l {
		words := strings.SplitAfter(g.text, " ")
		for _, w := range words {
			if w == "" {
				continue
			}
			wl := utf8.RuneCountInString(strings.TrimRight(w, " "))
			if n > indent && n+wl > width {
				out = append(out, cur)
				cur = line{{strings.Repeat(" ", indent), plain}}
				n = indent
			}
			if k := len(cur); k > 0 && cur[k-1].st == g.st {
				cur[k-1].text += w
			} else {
				cur = append(cur, seg{w, g.st})
			}
			n += utf8.RuneCountInString(w)
		}
	}
	return append(out, cur)
}
