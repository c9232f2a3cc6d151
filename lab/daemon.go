package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/ospf"
)

// DaemonStatus is the server's `anycostd status --json`.
func (s *Server) DaemonStatus() (*control.Status, error) {
	var st control.Status
	out, err := s.CLI("status", "--json")
	if err != nil {
		return nil, fmt.Errorf("%s: anycostd status: %w: %s", s.Name(), err, out)
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("%s: parsing anycostd status --json: %w", s.Name(), err)
	}
	return &st, nil
}

// Status is the OSPF instance's part of the server's status.
func (s *Server) Status() (ospf.Status, error) {
	st, err := s.DaemonStatus()
	if err != nil {
		return ospf.Status{}, err
	}
	if st.Starting != "" {
		return ospf.Status{}, fmt.Errorf("%s: anycostd is starting: %s", s.Name(), st.Starting)
	}
	if st.OSPF == nil {
		return ospf.Status{}, fmt.Errorf("%s: anycostd runs no OSPF instance", s.Name())
	}
	return *st.OSPF, nil
}

// LSDB is the server's `anycostd lsdb --json`.
func (s *Server) LSDB() ([]ospf.LSDBEntry, error) {
	var es []ospf.LSDBEntry
	out, err := s.CLI("lsdb", "--json")
	if err != nil {
		return nil, fmt.Errorf("%s: anycostd lsdb: %w: %s", s.Name(), err, out)
	}
	if err := json.Unmarshal(out, &es); err != nil {
		return nil, fmt.Errorf("%s: parsing anycostd lsdb --json: %w", s.Name(), err)
	}
	return es, nil
}

// RSS is the resident set size of the process in bytes (VmRSS of
// /proc/PID/status). Start runs argv through `ip netns exec`, which execs
// it, so the process is the program itself.
func (p *Proc) RSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest) // "12345 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("/proc/%d/status: odd VmRSS line %q", p.Pid(), line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/status: VmRSS %q: %w", p.Pid(), f[0], err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS line", p.Pid())
}
