package render

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/services"
)

// CostView is one service as `anycostd cost` shows it: the cost model's
// explanation (its fields inline, as the control socket's "cost" command
// gives them) and what the service has on the wire, from the "status"
// command. Its JSON form is the stable schema of `anycostd cost --json`.
type CostView struct {
	costmodel.Explanation
	// Wire is the mode's view of the service: the metric on the wire, the
	// one it was last handed and when its pacing lets the next change
	// out. Nil when no mode knows the service (a reload in progress).
	Wire *CostWire `json:"wire"`
}

// CostWire is a service on the wire and, in OSPF mode, its LSA.
type CostWire struct {
	services.Wire
	LSID string `json:"ls_id,omitempty"`
	Seq  string `json:"seq,omitempty"`
}

// Clock writes the times of `anycostd cost`: wall-clock times in Loc
// (nil: the local time zone), or, for what-if (Origin set), offsets from
// the start of the run.
type Clock struct {
	Loc    *time.Location
	Origin time.Time
}

// at writes t as a clock time (15:04:05.000) or as t+1.100s.
func (c Clock) at(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	if !c.Origin.IsZero() {
		return "t+" + seconds(t.Sub(c.Origin))
	}
	loc := c.Loc
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("15:04:05.000")
}

// seconds writes d as seconds with millisecond precision: 1.100s.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3fs", d.Seconds())
}

// rel writes how far t is from now: "in 300ms", "2.5s ago", "now".
func rel(t, now time.Time) string {
	d := t.Sub(now).Round(time.Millisecond)
	switch {
	case d > 0:
		return "in " + d.String()
	case d < 0:
		return (-d).String() + " ago"
	}
	return "now"
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// Cost writes every service's view, separated by a blank line.
func Cost(w io.Writer, views []CostView, clk Clock) {
	if len(views) == 0 {
		fmt.Fprintln(w, "No services.")
		return
	}
	for i := range views {
		if i > 0 {
			fmt.Fprintln(w)
		}
		CostService(w, &views[i], clk)
	}
}

// CostService writes one service: a summary of what is advertised and
// why, then the inputs, the load terms, the tiers and the last changes.
func CostService(w io.Writer, v *CostView, clk Clock) {
	e := &v.Explanation
	now := e.At
	prefix := ""
	if v.Wire != nil {
		prefix = "  " + v.Wire.Prefix.String()
	}
	fmt.Fprintf(w, "Service %s%s, at %s\n", e.Service, prefix, clk.at(now))

	t := newTable(w)
	if v.Wire != nil {
		fmt.Fprintf(t, "  On the wire\t%s\n", wireText(v))
	}
	fmt.Fprintf(t, "  Model advertises\t%s\n", e.Advertised)
	fmt.Fprintf(t, "  Model wants\t%s: %s\n", e.Wanted, e.WantedReason)
	fmt.Fprintf(t, "  Next change\t%s\n", nextChangeText(v, clk))
	fmt.Fprintf(t, "  Load\t%s\n", loadText(e))
	fmt.Fprintf(t, "  Health\t%s\n", healthText(e))
	fmt.Fprintf(t, "  Socket\t%s\n", socketText(e))
	fmt.Fprintf(t, "  Drained\t%s\n", yesNo(e.Drained, "yes", "no"))
	if e.LastDecision != nil {
		fmt.Fprintf(t, "  Last decision\t%s\n", e.LastDecision.Reason)
	}
	if e.ParamsError != "" {
		fmt.Fprintf(t, "  Parameters\tINVALID, defaults used: %s\n", e.ParamsError)
	}
	if e.RejectedSamples > 0 {
		fmt.Fprintf(t, "  Rejected samples\t%d\n", e.RejectedSamples)
	}
	t.Flush()

	fmt.Fprintln(w)
	t = newTable(w)
	fmt.Fprintln(t, "  Input\tValue\tSource\tAge\tStale after\tSamples")
	off := false
	for _, in := range e.Inputs {
		name := in.Input.String()
		if !in.Enabled {
			name += " (off)"
			off = true
		}
		age, src := "-", "-"
		if in.Seen {
			age = msDuration(in.AgeMS).String()
			if in.Stale {
				age += " STALE"
			}
			src = orDash(in.Source)
		}
		stale := "never"
		if in.StaleAfterMS > 0 {
			stale = msDuration(in.StaleAfterMS).String()
		}
		fmt.Fprintf(t, "  %s\t%s\t%s\t%s\t%s\t%d\n", name, in.Value, src, age, stale, in.Samples)
	}
	t.Flush()
	if off {
		fmt.Fprintln(w, "  (off: the service has no such monitor in its configuration)")
	}

	fmt.Fprintln(w)
	t = newTable(w)
	fmt.Fprintln(t, "  Term\tInput\tSmoothed\tWeight\tValue\tUsed")
	for _, tm := range e.Terms {
		used := "yes"
		if !tm.Used {
			used = "no"
			if tm.Why != "" {
				used += " (" + tm.Why + ")"
			}
		}
		smoothed, value := fmt.Sprintf("%.3f", tm.Smoothed), fmt.Sprintf("%.3f", tm.Value)
		if !tm.Used && tm.Why != "weight 0" {
			smoothed, value = "-", "-"
		}
		fmt.Fprintf(t, "  %s\t%s\t%s\t%g\t%s\t%s\n", tm.Name, tm.Input, smoothed, tm.Weight, value, used)
	}
	t.Flush()

	fmt.Fprintln(w)
	renderTiers(w, e, clk)

	if e.Farm != nil {
		fmt.Fprintln(w)
		renderFarm(w, e, clk)
	}

	fmt.Fprintln(w)
	renderHistory(w, e, clk)
}

// wireText describes the LSA on the wire.
func wireText(v *CostView) string {
	s := v.Wire
	var b strings.Builder
	if s.Advertised {
		fmt.Fprintf(&b, "metric %d", s.Metric)
	} else {
		b.WriteString("withdrawn")
	}
	if s.LSID != "" {
		fmt.Fprintf(&b, " (Intra-Area-Prefix-LSA %s", s.LSID)
		if s.Seq != "" {
			fmt.Fprintf(&b, ", seq %s", s.Seq)
		}
		b.WriteString(")")
	}
	told := "withdrawn"
	if s.Wanted {
		told = fmt.Sprintf("metric %d", s.WantMetric)
	}
	if s.Wanted != s.Advertised || s.Wanted && s.WantMetric != s.Metric {
		fmt.Fprintf(&b, "; %s waits for LSA pacing", told)
	}
	return b.String()
}

// nextChangeText says when pacing lets the next change out.
func nextChangeText(v *CostView, clk Clock) string {
	e := &v.Explanation
	now := e.At
	var parts []string
	switch {
	case e.Held && !e.NextChangeAllowed.IsZero() && e.NextChangeAllowed.After(now):
		parts = append(parts, fmt.Sprintf("%s held since %s; pacing lets it out at %s (%s)",
			e.Wanted, clk.at(e.HeldSince), clk.at(e.NextChangeAllowed), rel(e.NextChangeAllowed, now)))
	case e.Held:
		parts = append(parts, fmt.Sprintf("%s wanted since %s; goes out at the next decision", e.Wanted, clk.at(e.HeldSince)))
	case !e.NextChangeAllowed.IsZero() && e.NextChangeAllowed.After(now):
		parts = append(parts, fmt.Sprintf("none wanted; pacing allows one from %s (%s)",
			clk.at(e.NextChangeAllowed), rel(e.NextChangeAllowed, now)))
	default:
		parts = append(parts, "none wanted; pacing allows one now")
	}
	if e.WithdrawLatched {
		parts = append(parts, "withdrawal latched")
	}
	if v.Wire != nil && !v.Wire.NextChange.IsZero() {
		parts = append(parts, fmt.Sprintf("LSA pacing: next instance at %s (%s)",
			clk.at(v.Wire.NextChange), rel(v.Wire.NextChange, now)))
	}
	return strings.Join(parts, "; ")
}

// input returns e's view of input k.
func input(e *costmodel.Explanation, k costmodel.InputKind) costmodel.InputView {
	for _, in := range e.Inputs {
		if in.Input == k {
			return in
		}
	}
	return costmodel.InputView{Input: k}
}

func loadText(e *costmodel.Explanation) string {
	if e.LoadSource == "none" || e.LoadSource == "" {
		return fmt.Sprintf("%.3f (no load term counts)", e.Load)
	}
	return fmt.Sprintf("%.3f (from %s)", e.Load, e.LoadSource)
}

func healthText(e *costmodel.Explanation) string {
	h := &e.Health
	if in := input(e, costmodel.InputProbe); !in.Enabled && !in.Seen {
		return "up (no probe)"
	}
	state := "up"
	if !h.Up {
		state = "down"
	}
	s := fmt.Sprintf("%s (%d good, %d bad in a row; rise %d, fall %d)", state, h.Good, h.Bad, h.Rise, h.Fall)
	if h.Reason != "" {
		s += ": " + h.Reason
	}
	return s
}

func socketText(e *costmodel.Explanation) string {
	if in := input(e, costmodel.InputSocket); !in.Enabled && !in.Seen {
		return "present (assumed: no socket monitor)"
	}
	return yesNo(e.Present, "present", "absent")
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// renderTiers writes the tier table, the hysteresis band of the current
// tier and the next tier move.
func renderTiers(w io.Writer, e *costmodel.Explanation, clk Clock) {
	st := &e.Settings
	if len(e.Tiers) == 0 {
		fmt.Fprintf(w, "  No tiers: static metric %d.\n", st.StaticMetric)
	} else {
		t := newTable(w)
		fmt.Fprintln(t, "  Tier\tMetric\tUp at\tBack below")
		for i, r := range e.Tiers {
			up, down := fmt.Sprintf("%.2f", r.Up), fmt.Sprintf("%.2f", r.Down)
			if i == len(e.Tiers)-1 {
				up, down = "-", "-"
			}
			if r.Current {
				fmt.Fprintf(t, "  %d\t%d\t%s\t%s\t<- current since %s\n", r.Index, r.Metric, up, down, clk.at(e.TierSince))
				continue
			}
			fmt.Fprintf(t, "  %d\t%d\t%s\t%s\n", r.Index, r.Metric, up, down)
		}
		t.Flush()
		fmt.Fprintln(w, "  (tier i moves up to i+1 when the load reaches its \"up at\", and i+1 comes back to i\n  when the load falls below i's \"back below\")")
		if b := e.Band; b != nil {
			lo, hi := "no lower tier", "no higher tier"
			if b.MoveDownBelow != nil {
				lo = fmt.Sprintf("down below %.2f", *b.MoveDownBelow)
			}
			if b.MoveUpAt != nil {
				hi = fmt.Sprintf("up at %.2f", *b.MoveUpAt)
			}
			fmt.Fprintf(w, "  Hysteresis band of tier %d: %s, %s (load now %.3f)\n", e.Tier, lo, hi, e.Load)
		}
		switch {
		case e.TierNext != e.Tier:
			fmt.Fprintf(w, "  Next tier move: %d -> %d at the next decision (%s)\n", e.Tier, e.TierNext, e.TierTrigger)
		case e.TierTrigger != "" && !e.TierHeldUntil.IsZero():
			fmt.Fprintf(w, "  Next tier move: held until %s (%s): %s\n", clk.at(e.TierHeldUntil), rel(e.TierHeldUntil, e.At), e.TierTrigger)
		case e.Farm != nil && e.Farm.AgentRule != "":
			fmt.Fprintf(w, "  Next tier move: none while the agent weighs (%s)\n", e.Farm.AgentRule)
		case e.Farm != nil && e.Farm.Active && e.Farm.Plan != "":
			fmt.Fprintln(w, "  Next tier move: as the farm's rules allow (farm view below)")
		default:
			fmt.Fprintln(w, "  Next tier move: none (the load is inside the band)")
		}
		if e.TierReason != "" {
			fmt.Fprintf(w, "  Last tier move: %s\n", e.TierReason)
		}
	}
	fmt.Fprintf(w, "  Pacing %s between changes; dwell %s before a move up, %s before a move down now (back-off up to %s); drain action %s\n",
		msDuration(st.MinIntervalMS), msDuration(st.MinDwellMS), msDuration(e.DownDwellMS), msDuration(st.MaxDwellMS), st.DrainAction)
}

// renderHistory writes the last changes, oldest first.
func renderHistory(w io.Writer, e *costmodel.Explanation, clk Clock) {
	if len(e.History) == 0 {
		fmt.Fprintln(w, "  No changes yet.")
		return
	}
	fmt.Fprintf(w, "  Last changes (%d of %d)\n", len(e.History), e.Changes)
	t := newTable(w)
	fmt.Fprintln(t, "  Time\tChange\tHeld\tLoad\tTier\tReason")
	for _, c := range e.History {
		tier := "-"
		if c.Tier >= 0 {
			tier = fmt.Sprint(c.Tier)
		}
		fmt.Fprintf(t, "  %s\t%s -> %s\t%s\t%.3f\t%s\t%s\n",
			clk.at(c.At), c.From, c.To, msDuration(c.HeldMS), c.Load, tier, c.Reason)
	}
	t.Flush()
}
