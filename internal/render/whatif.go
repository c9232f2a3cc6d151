package render

import (
	"fmt"
	"io"
	"time"

	"github.com/anycostd/anycostd/costmodel"
)

// WhatIfStart is the simulated start time; the output shows offsets from
// it, never the date.
var WhatIfStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// WhatIfOutput is the result of a what-if run, and its --json schema.
type WhatIfOutput struct {
	Service     string                  `json:"service"`
	Config      string                  `json:"config"`
	SimulatedMS int64                   `json:"simulated_ms"`
	Why         string                  `json:"simulated_why"`
	Inputs      []costmodel.WhatIfInput `json:"inputs"`
	// Withdrawn and Metric are the advertisement at the end of the run.
	Withdrawn bool   `json:"withdrawn"`
	Metric    uint16 `json:"metric"`
	// Settled is false when a change was still held by pacing or dwell at
	// the end: a longer run (--for) may end elsewhere.
	Settled bool                   `json:"settled"`
	Result  costmodel.WhatIfResult `json:"result"`
}

// WhatIf writes the result of a what-if run: the inputs, the
// advertisement it ends with and why, then the cost model as `anycostd
// cost` shows it.
func WhatIf(w io.Writer, o *WhatIfOutput) {
	if len(o.Inputs) == 0 {
		fmt.Fprintf(w, "What-if for service %s of %s:\n%s.\n\n", o.Service, o.Config, o.Why)
	} else {
		fmt.Fprintf(w, "What-if for service %s of %s: inputs held constant for %s of simulated time\n(%s).\n\n",
			o.Service, o.Config, time.Duration(o.SimulatedMS)*time.Millisecond, o.Why)
	}
	t := newTable(w)
	fmt.Fprintln(t, "  Input\tValue\tEvery\tFrom")
	if len(o.Inputs) == 0 {
		fmt.Fprintln(t, "  (none: the service has no monitors and nothing was set)")
	}
	for _, in := range o.Inputs {
		note := "set"
		if in.Assumed {
			note = "assumed (not set)"
		}
		fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", in.Input, in.Value, in.Every, note)
	}
	t.Flush()
	e := &o.Result.Explanation
	fmt.Fprintln(w)
	result := fmt.Sprintf("metric %d", o.Metric)
	if o.Withdrawn {
		result = "withdrawn"
	} else if e.Tier >= 0 && !e.Drained {
		result += fmt.Sprintf(" (tier %d)", e.Tier)
	}
	changes := "changes"
	if len(o.Result.Changes) == 1 {
		changes = "change"
	}
	fmt.Fprintf(w, "Result: %s, after %d %s\n", result, len(o.Result.Changes), changes)
	fmt.Fprintf(w, "  Why: %s\n", e.WantedReason)
	if !o.Settled {
		fmt.Fprintf(w, "  Not settled: %s; a longer --for may end elsewhere.\n", o.Result.Decision.Reason)
	}
	fmt.Fprintln(w)
	CostService(w, &CostView{Explanation: *e}, Clock{Origin: WhatIfStart})
}
