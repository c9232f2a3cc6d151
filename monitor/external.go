package monitor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ExternalConfig configures the external load input of one service: the
// load the service publishes itself, read from File or from the standard
// output of Command (exactly one of the two).
type ExternalConfig struct {
	File    string
	Command []string
	// FullRate, when above 0, says the text read is a counter that only
	// grows (queries answered so far), optionally followed by the
	// counter's own clock in seconds: the load is the counter's growth
	// per second over FullRate (counterReader).
	FullRate float64
	// Interval is the time between reads; Timeout bounds a command's run
	// (it is killed, with its process group, when it overruns).
	Interval, Timeout time.Duration
}

const (
	// maxExternalOutput bounds what is read from the file or the command.
	maxExternalOutput = 4096
	// externalWaitDelay is how long a killed command's output pipes may
	// stay open (held by its children) before they are closed anyway.
	externalWaitDelay = 500 * time.Millisecond
)

// ErrBadLoad is wrapped by the errors about a published load that is not a
// number in range.
var ErrBadLoad = errors.New("not a load (a number in [0, 1] or a percentage in [0%, 100%])")

func (c ExternalConfig) validate() error {
	switch {
	case c.File == "" && len(c.Command) == 0:
		return errors.New("neither file nor command")
	case c.File != "" && len(c.Command) > 0:
		return errors.New("both file and command")
	case len(c.Command) > 0 && c.Command[0] == "":
		return errors.New("empty command name")
	case c.Interval <= 0:
		return fmt.Errorf("interval %v is not positive", c.Interval)
	case len(c.Command) > 0 && c.Timeout <= 0:
		return fmt.Errorf("timeout %v is not positive", c.Timeout)
	case c.FullRate < 0 || math.IsNaN(c.FullRate) || math.IsInf(c.FullRate, 0):
		return fmt.Errorf("full rate %v is not a positive number", c.FullRate)
	}
	return nil
}

// RunExternal reads the published load at once and then every cfg.Interval,
// sending one KindExternal Sample per read. The text read must be one number:
// a fraction in [0, 1] ("0.7") or a percentage in [0, 100] followed by "%"
// ("70%", "70 %"); surrounding white space is ignored. A missing or
// unreadable file, a command that cannot start, exits non-zero or overruns
// cfg.Timeout, and any other text give a Sample with Err set, to be treated
// as a failed check.
//
// With cfg.FullRate set, the text is a counter instead (counterReader): the
// first reading, and one after the counter went back, only set a baseline
// and send nothing.
//
// RunExternal returns nil when ctx ends, or an error at once for an invalid
// cfg.
func RunExternal(ctx context.Context, service string, cfg ExternalConfig, out chan<- Sample) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("monitor: service %q: external load: %w", service, err)
	}
	var counter *counterReader
	if cfg.FullRate > 0 {
		counter = &counterReader{fullRate: cfg.FullRate}
	}
	poll(ctx, service, cfg.Interval, out, func(now time.Time) (Sample, bool) {
		load, ok, err := readExternal(ctx, cfg, counter, now)
		s := Sample{Kind: KindExternal, Err: err}
		if err == nil {
			s.External = &ExternalLoad{Load: load}
		}
		return s, ok || err != nil
	})
	return nil
}

// readExternal reads the text and parses it at now: a load, or with
// counter a counter reading; ok is false when there is no load yet (a
// counter's baseline).
func readExternal(ctx context.Context, cfg ExternalConfig, counter *counterReader, now time.Time) (load float64, ok bool, err error) {
	where := "file " + cfg.File
	var text string
	if cfg.File != "" {
		text, err = readExternalFile(cfg.File)
	} else {
		where = fmt.Sprintf("command %q: output", cfg.Command[0])
		text, err = runExternalCommand(ctx, cfg.Command, cfg.Timeout)
	}
	switch {
	case err != nil:
		if counter != nil {
			counter.reset() // the next reading is a new baseline
		}
		return 0, false, err
	case counter != nil:
		load, ok, err = counter.read(text, now)
	default:
		load, err = parseLoad(text)
		ok = err == nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", where, err)
	}
	return load, ok, nil
}

func readExternalFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err // names the file
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxExternalOutput+1))
	if err != nil {
		return "", fmt.Errorf("file %s: %w", path, err)
	}
	if len(b) > maxExternalOutput {
		return "", fmt.Errorf("file %s: longer than %d bytes", path, maxExternalOutput)
	}
	return string(b), nil
}

// runExternalCommand runs argv in its own process group and returns its
// standard output; the group is killed at the timeout.
func runExternalCommand(ctx context.Context, argv []string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = externalWaitDelay
	var stdout, stderr capBuffer
	stdout.max, stderr.max = maxExternalOutput+1, 512
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return "", fmt.Errorf("command %q: timed out after %v", argv[0], timeout)
	}
	if err != nil {
		if msg := firstLine(stderr.String()); msg != "" {
			return "", fmt.Errorf("command %q: %w: %s", argv[0], err, msg)
		}
		return "", fmt.Errorf("command %q: %w", argv[0], err)
	}
	if stdout.Len() > maxExternalOutput {
		return "", fmt.Errorf("command %q: output longer than %d bytes", argv[0], maxExternalOutput)
	}
	return stdout.String(), nil
}

// parseLoad parses a published load (see RunExternal).
func parseLoad(text string) (float64, error) {
	s := strings.TrimSpace(text)
	num, pct := strings.CutSuffix(s, "%")
	num = strings.TrimSpace(num)
	if num == "" || strings.ContainsFunc(num, func(r rune) bool { return r <= ' ' }) {
		return 0, fmt.Errorf("%q: %w", clip(s), ErrBadLoad)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("%q: %w", clip(s), ErrBadLoad)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 {
		return 0, fmt.Errorf("%q out of range: %w", clip(s), ErrBadLoad)
	}
	return v, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return clip(s)
}

// capBuffer keeps the first max bytes written and discards the rest without
// failing the writer, so a chatty command is not killed by EPIPE.
type capBuffer struct {
	bytes.Buffer
	max int
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
