package lab

import (
	"encoding/json"
	"fmt"

	"github.com/anycostd/anycostd/costmodel"
)

// Cost is the server's cost model explanation of one service (`anycostd
// cost --json SERVICE`, docs/control.md).
func (s *Server) Cost(service string) (costmodel.Explanation, error) {
	out, err := s.CLI("cost", "--json", service)
	if err != nil {
		return costmodel.Explanation{}, fmt.Errorf("%s: cost --json %s: %v: %s", s.Name(), service, err, out)
	}
	var views []costmodel.Explanation
	if err := json.Unmarshal(out, &views); err != nil || len(views) != 1 {
		return costmodel.Explanation{}, fmt.Errorf("%s: cost --json %s: want one service, %v: %s", s.Name(), service, err, out)
	}
	return views[0], nil
}

// Term returns the load term named name of e ("rqueue", "drops",
// "latency", "external", "cpu"), ok=false when e has none.
func Term(e costmodel.Explanation, name string) (costmodel.Term, bool) {
	for _, t := range e.Terms {
		if t.Name == name {
			return t, true
		}
	}
	return costmodel.Term{}, false
}
