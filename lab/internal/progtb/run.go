package progtb

import "fmt"

// Stop is the panic value with which Fatalf, Skipf and the methods built
// on them end the calling goroutine.
type Stop struct {
	Msg  string
	Skip bool // from Skipf (never with Options.SkipIsFatal)
}

// Error returns the message of the Fatalf or Skipf call.
func (s Stop) Error() string { return s.Msg }

// Run calls fn, then RunCleanups, and says why fn ended early or how it
// failed: "<name>: <Fatalf message>", "<name>: skipped: <Skipf message>"
// (both wrapping the Stop), "<name>: panic: <value>" for any other panic,
// "<name>: failed (see the log)" when fn returned after Errorf or Fail,
// and nil when it returned and nothing failed. Run a TB once.
func (t *TB) Run(fn func()) (err error) {
	defer func() {
		r := recover()
		t.RunCleanups()
		name := t.opt.Name
		switch v := r.(type) {
		case nil:
			if t.Failed() {
				err = fmt.Errorf("%s: failed (see the log)", name)
			}
		case Stop:
			if v.Skip {
				err = fmt.Errorf("%s: skipped: %w", name, v)
			} else {
				err = fmt.Errorf("%s: %w", name, v)
			}
		default:
			err = fmt.Errorf("%s: panic: %v", name, v)
		}
	}()
	fn()
	return nil
}
