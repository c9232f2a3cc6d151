package lab

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Proc is a background process started by Start in its own process group.
type Proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // set before done is closed
}

func (p *Proc) wait() {
	p.err = p.cmd.Wait()
	close(p.done)
}

// Pid is the process id (also its process group id).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// LogPath is the file that holds the process's standard output and error.
func (p *Proc) LogPath() string { return p.logPath }

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Signal sends sig to the process (not its group). Signalling a process
// that has exited returns os.ErrProcessDone.
func (p *Proc) Signal(sig os.Signal) error {
	select {
	case <-p.done:
		return os.ErrProcessDone
	default:
	}
	return p.cmd.Process.Signal(sig)
}

// Wait waits for the process to exit and returns its exit error (nil for
// status 0), like exec.Cmd.Wait. It may be called any number of times.
func (p *Proc) Wait() error {
	<-p.done
	return p.err
}

// WaitTimeout is Wait with a limit; it returns ErrTimeout if the process
// is still running after d.
func (p *Proc) WaitTimeout(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return ErrTimeout
	}
}

// ErrTimeout is returned by WaitTimeout when the process did not exit.
var ErrTimeout = errors.New("lab: process still running")

// Kill sends SIGKILL to the process's whole group and waits for the
// process to exit. Killing an exited process is a no-op (the group is then
// left alone, as its id may already belong to someone else; the lab's
// cleanup still kills whatever runs in its namespaces).
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	// Negative pid: the process group Start created with Setpgid.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}
