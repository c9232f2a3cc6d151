// Package render lays out the control protocol's answers as the text
// anycostd's commands print: status (each mode, BFD, the drains),
// neighbors, lsdb, router status, cost and what-if. It writes to the
// writer it is given and does nothing else; the commands
// (cmd/anycostd) ask the daemon and choose the output.
package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/ospf"
	"github.com/anycostd/anycostd/services"
)

// The text output of status, neighbors and lsdb: aligned tables in the
// manner of FRR's `show ipv6 ospf6 neighbor` and `show ipv6 ospf6
// database`. now is the time relative times are shown against.

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// clock writes d as hh:mm:ss, FRR's dead time and duration format.
func clock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Status writes each mode's status: the OSPF instance's, then the
// ND speaker's; or, while the daemon starts, what it is doing.
func Status(w io.Writer, res *control.Status, now time.Time) error {
	if res.Starting != "" {
		_, err := fmt.Fprintf(w, "starting: %s\n", res.Starting)
		return err
	}
	if res.OSPF != nil {
		if err := renderOSPF(w, res.OSPF, now); err != nil {
			return err
		}
		if res.BFD != nil {
			fmt.Fprintln(w)
			if err := renderBFD(w, res.BFD, now); err != nil {
				return err
			}
		}
		if res.ND != nil {
			fmt.Fprintln(w)
		}
	}
	if res.ND != nil {
		if err := renderND(w, res.ND, now); err != nil {
			return err
		}
	}
	if res.OSPF == nil && res.ND == nil {
		if _, err := fmt.Fprintln(w, "No mode runs."); err != nil {
			return err
		}
	}
	return Drains(w, res.Drains)
}

// Drains writes the operator's drains and where they are kept,
// nothing when there are none and no problem.
func Drains(w io.Writer, dr *services.DrainReport) error {
	if dr == nil || len(dr.Manual) == 0 && dr.Problem == "" {
		return nil
	}
	fmt.Fprintln(w)
	if len(dr.Manual) > 0 {
		kept := "in memory only"
		if dr.Kept != "" {
			kept = "kept in " + dr.Kept
		}
		fmt.Fprintf(w, "Drained by the operator: %s (%s; anycostd undrain lets them back)\n", strings.Join(dr.Manual, ", "), kept)
	}
	if dr.Problem != "" {
		fmt.Fprintf(w, "Drain state: %s\n", dr.Problem)
	}
	return nil
}

// renderOSPF writes the OSPF instance's interface, neighbors, services
// and counters.
func renderOSPF(w io.Writer, st *ospf.Status, now time.Time) error {
	in := &st.Interface
	fmt.Fprintf(w, "Router ID %s, area %s\n", st.RouterID, st.Area)
	fmt.Fprintf(w, "Interface %s (index %d, interface ID %d): %s\n", in.Name, in.Index, in.InterfaceID, in.State)
	fmt.Fprintf(w, "  link-local %s, MTU %d, cost %d, hello %ds, dead %ds\n", orDash(in.LinkLocal), in.MTU, in.Cost, in.HelloSec, in.DeadSec)
	fmt.Fprintf(w, "  DR %s, BDR %s\n", orDash(in.DR), orDash(in.BDR))

	fmt.Fprintln(w)
	if len(st.Neighbors) == 0 {
		fmt.Fprintln(w, "No neighbors.")
	} else if err := renderNeighborTable(w, in.Name, in.State, st.Neighbors); err != nil {
		return err
	}

	fmt.Fprintln(w)
	if len(st.Services) == 0 {
		fmt.Fprintln(w, "No services.")
	} else {
		t := newTable(w)
		fmt.Fprintln(t, "Service\tPrefix\tState\tMetric\tWanted\tLS-ID\tSeqNum\tNext change")
		for _, s := range st.Services {
			metric := "-"
			if s.Advertised {
				metric = fmt.Sprint(s.Metric)
			}
			wanted := "withdraw"
			if s.Wanted {
				wanted = fmt.Sprint(s.WantMetric)
			}
			next := "-"
			switch {
			case !s.NextChange.IsZero():
				next = "in " + s.NextChange.Sub(now).Round(time.Millisecond).String()
			case !s.ResendAt.IsZero():
				next = "again in " + s.ResendAt.Sub(now).Round(time.Millisecond).String()
			}
			fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				s.Name, s.Prefix, serviceState(&s), metric, wanted, orDash(s.LSID), orDash(s.Seq), next)
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}

	if st.Pacing.MinLSInterval > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, PacingText(st.Pacing))
	}

	c := &st.Counters
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Packets in %d, out %d, dropped %d; LSAs in %d, out %d, retransmitted %d, originated %d\n",
		sum(c.PacketsIn), sum(c.PacketsOut), sum(c.Dropped), c.LSAsIn, c.LSAsOut, c.Retransmits, c.Originations)
	if s := earlyText(c); s != "" {
		fmt.Fprintln(w, s)
	}
	if len(c.Dropped) > 0 {
		fmt.Fprintf(w, "Dropped: %s\n", countList(c.Dropped))
	}
	if c.DRUnlistedRestarts > 0 {
		fmt.Fprintf(w, "Adjacency with the DR restarted %d times: its Network-LSA did not list us long after Full\n", c.DRUnlistedRestarts)
	}
	return nil
}

// serviceState summarises a service's advertisement in one word.
func serviceState(s *ospf.ServiceStatus) string {
	switch {
	case s.Advertised && s.Wanted && s.Metric == s.WantMetric:
		return "advertised"
	case s.Advertised && s.Wanted:
		return "changing"
	case s.Advertised:
		return "withdrawing"
	case s.Wanted:
		return "pending"
	}
	return "withdrawn"
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// countList writes a counter map as "a 1, b 2", sorted by name.
func countList(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func Neighbors(w io.Writer, r *control.NeighborsResult, now time.Time) error {
	if len(r.Neighbors) == 0 {
		if _, err := fmt.Fprintf(w, "No neighbors on %s.\n", r.Interface); err != nil {
			return err
		}
	} else if err := renderNeighborTable(w, r.Interface, r.InterfaceState, r.Neighbors); err != nil {
		return err
	}
	if r.BFD == nil {
		return nil
	}
	fmt.Fprintln(w)
	return renderBFD(w, r.BFD, now)
}

func renderNeighborTable(w io.Writer, ifname, ifstate string, nbrs []ospf.NeighborStatus) error {
	t := newTable(w)
	fmt.Fprintln(t, "Neighbor ID\tPri\tDeadTime\tState/IfState\tDuration\tI/F[State]\tAddress\tRxmt\tReq\tDBsum")
	for _, n := range nbrs {
		fmt.Fprintf(t, "%s\t%d\t%s\t%s/%s\t%s\t%s[%s]\t%s\t%d\t%d\t%d\n",
			n.RouterID, n.Priority, clock(n.DeadIn), n.State, orDash(n.Role), clock(n.Uptime),
			ifname, ifstate, n.Address, n.RxmtCount, n.RequestCount, n.SummaryCount)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	for _, n := range nbrs {
		if n.Note != "" {
			fmt.Fprintf(w, "Neighbor %s: %s\n", n.RouterID, n.Note)
		}
	}
	return nil
}

// scopeTitles names the LSDB sections, in display order.
var scopeTitles = []struct{ scope, title string }{
	{"link", "Link-scoped LSAs"},
	{"area", "Area-scoped LSAs"},
	{"as", "AS-scoped LSAs"},
}

func LSDB(w io.Writer, entries []ospf.LSDBEntry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "The LSDB is empty.")
		return err
	}
	byScope := make(map[string][]ospf.LSDBEntry)
	var other []string
	for _, e := range entries {
		if _, ok := byScope[e.Scope]; !ok && !knownScope(e.Scope) {
			other = append(other, e.Scope)
		}
		byScope[e.Scope] = append(byScope[e.Scope], e)
	}
	sections := scopeTitles
	for _, s := range other {
		sections = append(sections, struct{ scope, title string }{s, "Scope " + s + " LSAs"})
	}
	first, anySelf := true, false
	for _, sec := range sections {
		es := byScope[sec.scope]
		if len(es) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		fmt.Fprintf(w, "        %s (%d)\n\n", sec.title, len(es))
		t := newTable(w)
		fmt.Fprintln(t, "Type\tLSId\tAdvRouter\tAge\tSeqNum\tCksum\tLen\tPayload")
		for _, e := range es {
			self := ""
			if e.Self {
				self, anySelf = "*", true
			}
			fmt.Fprintf(t, "%s\t%s\t%s%s\t%d\t%s\t%s\t%d\t%s\n",
				e.Type, e.LSID, e.AdvRouter, self, e.Age, e.Seq, e.Checksum, e.Length, e.Summary)
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if anySelf {
		fmt.Fprintln(w, "\n* originated by this router")
	}
	return nil
}

func knownScope(s string) bool {
	for _, t := range scopeTitles {
		if t.scope == s {
			return true
		}
	}
	return false
}
