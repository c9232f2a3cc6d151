package lab

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// fieldCapture is a tshark capture on a link's bridge that writes the
// chosen fields of every packet a filter matches, one comma-separated line
// per packet, to a file in the lab folder.
type fieldCapture struct {
	proc *Proc
	path string
}

// tryCaptureFields starts tshark on the link's bridge with the capture
// filter and fields (tshark -e names) and waits until it captures. kind
// names the capture's file. Without tshark the error is a MissingError.
// A tshark that does not capture in time is left running, to the lab's
// removal.
func (k *Link) tryCaptureFields(kind, filter string, fields ...string) (fieldCapture, error) {
	if _, err := os.Stat("/usr/bin/tshark"); err != nil {
		return fieldCapture{}, missing("tshark is not installed (apt-get install tshark): %v", err)
	}
	path := filepath.Join(k.lab.dir, fmt.Sprintf("%s-%s-%d.txt", k.name, kind, time.Now().UnixNano()))
	p, err := k.TryStart(fmt.Sprintf("tshark-%d", time.Now().UnixNano()), "sh", "-c",
		fmt.Sprintf("exec tshark -i %s -l -n -f '%s' -T fields -E separator=, -e %s > %s 2>%s.err",
			k.Bridge(), filter, strings.Join(fields, " -e "), path, path))
	if err != nil {
		return fieldCapture{}, err
	}
	c := fieldCapture{proc: p, path: path}
	_, err = Wait(15*time.Second, "tshark to capture on "+k.name, func() (bool, error) {
		b, _ := os.ReadFile(path + ".err")
		return strings.Contains(string(b), "Capturing on"), nil
	})
	return c, err
}

// lines returns the lines captured so far (the last may be partial). A
// tshark that has exited is an error with its stderr: a capture that
// stopped must not read as a link that fell silent.
func (c fieldCapture) lines() ([]string, error) {
	select {
	case <-c.proc.Done():
		b, _ := os.ReadFile(c.path + ".err")
		return nil, fmt.Errorf("tshark on %s exited: %s", c.path, strings.TrimSpace(string(b)))
	default:
	}
	f, err := os.Open(c.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out, sc.Err()
}

// Stop ends tshark.
func (c fieldCapture) Stop() {
	c.proc.Signal(syscall.SIGINT)
	if c.proc.WaitTimeout(5*time.Second) != nil {
		c.proc.Kill()
	}
}
