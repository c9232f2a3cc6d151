package monitor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// RunDrainFile watches path by polling it every interval: the service is
// drained while path exists (whatever it is, even empty). It sends a
// KindDrain Sample at once with the current state and then one on each
// change. When path cannot be checked (a permission error on a parent
// directory, for instance) it sends a Sample with Err set and no Drain, once
// per distinct error; the daemon keeps the last known state.
//
// RunDrainFile returns nil when ctx ends, or an error at once for an empty
// path or a non-positive interval.
func RunDrainFile(ctx context.Context, service, path string, interval time.Duration, out chan<- Sample) error {
	if path == "" {
		return fmt.Errorf("monitor: service %q: drain file: empty path", service)
	}
	if interval <= 0 {
		return fmt.Errorf("monitor: service %q: drain file: interval %v is not positive", service, interval)
	}
	var w drainWatch
	poll(ctx, service, interval, out, func(time.Time) (Sample, bool) {
		return w.observe(drainState(path))
	})
	return nil
}

// drainState reports whether path exists.
func drainState(path string) (bool, error) {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// drainWatch remembers what was last reported. Pure.
type drainWatch struct {
	reported bool
	drained  bool
	errText  string
}

// observe returns the Sample to send for this observation, and whether one
// is due at all (first observation, or a change of state or of error).
func (w *drainWatch) observe(drained bool, err error) (Sample, bool) {
	errText := ""
	if err != nil {
		errText = err.Error()
	}
	if w.reported && errText == w.errText && (err != nil || drained == w.drained) {
		return Sample{}, false
	}
	w.reported, w.errText = true, errText
	if err != nil {
		return Sample{Kind: KindDrain, Err: err}, true
	}
	w.drained = drained
	d := drained
	return Sample{Kind: KindDrain, Drain: &d}, true
}
