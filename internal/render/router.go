package render

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/anycostd/anycostd/control"
)

// RouterStatus prints the agent's status: its OSPF adjacency, then
// per prefix one line per weighted next hop and one per server left out.
func RouterStatus(w io.Writer, st *control.RouterStatus, now time.Time) error {
	a := &st.Agent
	o := &st.OSPF
	full := 0
	for _, n := range o.Neighbors {
		if n.State == "Full" {
			full++
		}
	}
	fmt.Fprintf(w, "router agent %s, backend %s, OSPF on %s (%s, DR %s, %d of %d neighbors Full)",
		a.RouterID, st.Backend, o.Interface.Name, o.Interface.State, o.Interface.DR, full, len(o.Neighbors))
	if !a.Linked {
		fmt.Fprint(w, "; the server link's Network-LSA is not in the database yet")
	}
	fmt.Fprintln(w)
	configLoad(w, &st.Config, now)
	if len(a.Announced) > 0 {
		ps := make([]string, len(a.Announced))
		for i, p := range a.Announced {
			ps[i] = p.String()
		}
		fmt.Fprintf(w, "announced in the area as weighed: %s (its servers hold their load tiers at the base metric)\n", strings.Join(ps, ", "))
	}
	if len(a.Prefixes) == 0 {
		fmt.Fprintln(w, "no prefix: no server load LSA yet (OSPF's own routes forward)")
	}
	for _, p := range a.Prefixes {
		fmt.Fprintf(w, "\n%s metric %d\n", p.Prefix, p.Metric)
		tw := newTable(w)
		fmt.Fprintln(tw, "  SERVER\tNEXT HOP\tCAPACITY\tLOAD\tWEIGHT\tSHARE\tWHY")
		for _, h := range p.Nexthops {
			load := "-"
			if h.HasLoad {
				load = fmt.Sprintf("%.3f", h.Load)
			}
			why := h.Why
			if !h.Changed.IsZero() {
				why += fmt.Sprintf(" (%s ago)", now.Sub(h.Changed).Round(time.Second))
			}
			fmt.Fprintf(tw, "  %s\t%s\t%g\t%s\t%d\t%.1f%%\t%s\n", h.Server, h.NextHop, h.Capacity, load, h.Weight, 100*h.Share, why)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, x := range p.Excluded {
			who := x.Server
			if who == "" {
				who = "(prefix)"
			}
			fmt.Fprintf(w, "  left out %s: %s\n", who, x.Why)
		}
	}
	c := a.Counters
	fmt.Fprintf(w, "\nroute updates %d, removals %d, backend errors %d, weight changes %d, restarts %d",
		c.Updates, c.Removals, c.BackendErrors, c.WeightChanges, st.Restarts)
	if c.Refreshes > 0 {
		fmt.Fprintf(w, ", lease refreshes %d", c.Refreshes)
	}
	if len(c.Ignored) > 0 {
		reasons := make([]string, 0, len(c.Ignored))
		for r, n := range c.Ignored {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		}
		slices.Sort(reasons)
		fmt.Fprintf(w, ", load LSAs ignored: %s", strings.Join(reasons, ", "))
	}
	fmt.Fprintln(w)
	return nil
}

// configLoad prints when the configuration was loaded and how the last
// reload went (nothing for a status without it).
func configLoad(w io.Writer, l *control.ConfigLoad, now time.Time) {
	if l.Loaded.IsZero() {
		return
	}
	ago := func(t time.Time) string {
		return fmt.Sprintf("%s (%s ago)", t.UTC().Format("2006-01-02 15:04:05Z"), now.Sub(t).Round(time.Second))
	}
	fmt.Fprintf(w, "configuration %s loaded %s", l.Path, ago(l.Loaded))
	switch {
	case l.LastReload.IsZero():
		fmt.Fprint(w, "; not reloaded since the start")
	case l.Error != "":
		fmt.Fprintf(w, "; the last reload, %s, FAILED and changed nothing: %s", ago(l.LastReload), l.Error)
	default:
		fmt.Fprintf(w, "; the last reload %s", ago(l.LastReload))
	}
	if l.Reloads > 0 {
		fmt.Fprintf(w, "; %d reloads, %d failed", l.Reloads, l.Failed)
	}
	fmt.Fprintln(w)
	if len(l.Refused) > 0 {
		fmt.Fprintf(w, "settings changed in the file but not applied (they need a restart): %s\n", strings.Join(l.Refused, ", "))
	}
}
