package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/anycostd/anycostd/internal/render"
)

// ANSI sequences of --watch on a terminal.
const (
	ansiHome        = "\x1b[H"    // cursor to the top left corner
	ansiClearScreen = "\x1b[2J"   // erase the whole screen
	ansiHideCursor  = "\x1b[?25l" // no blinking cursor over the frame
	ansiShowCursor  = "\x1b[?25h"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// watchCost is `anycostd cost --watch`: it asks the daemon every interval
// and redraws until SIGINT (^C) or SIGTERM, then puts the cursor back and
// exits 0. On a terminal each frame replaces the previous one (home, clear
// screen); elsewhere frames follow each other. With --json each frame is
// one line of JSON. A daemon that cannot be reached at the start is an
// error; one that goes away later is shown in the frame and asked again.
func watchCost(c *cli.Context, path, svc string) error {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	w := c.App.Writer
	tty := isTerminal(w) && !c.Bool("json")
	interval := c.Duration("interval")

	views, err := fetchCost(ctx, path, svc)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return cli.Exit(err.Error(), exitFailure)
	}
	if tty {
		io.WriteString(w, ansiHideCursor)
		defer io.WriteString(w, ansiShowCursor+"\n")
	}
	lastGood := time.Now()
	cmd := "anycostd cost"
	if svc != "" {
		cmd += " " + svc
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for frame := 0; ; frame++ {
		if c.Bool("json") {
			if err == nil {
				writeJSON(w, views, false)
			}
		} else {
			var b bytes.Buffer
			switch {
			case tty:
				b.WriteString(ansiHome + ansiClearScreen)
			case frame > 0:
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "Every %s: %s    %s    (^C to quit)\n", interval, cmd, time.Now().Format("15:04:05"))
			if err != nil {
				fmt.Fprintf(&b, "%s; asking again. Last answer at %s:\n", err, lastGood.Format("15:04:05"))
			}
			b.WriteString("\n")
			render.Cost(&b, views, render.Clock{Loc: costLocation})
			out := b.Bytes()
			if tty {
				// No newline after the last line: a frame as high as
				// the screen must not scroll its first line away.
				out = bytes.TrimRight(out, "\n")
			}
			w.Write(out)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		next, ferr := fetchCost(ctx, path, svc)
		if ctx.Err() != nil {
			return nil
		}
		if ferr != nil {
			err = ferr
			if c.Bool("json") {
				fmt.Fprintf(c.App.ErrWriter, "anycostd: %s\n", strings.TrimSpace(ferr.Error()))
			}
			continue
		}
		views, err, lastGood = next, nil, time.Now()
	}
}
