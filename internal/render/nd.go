package render

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/anycostd/anycostd/ndproxy"
)

// The ND speaker's part of `anycostd status` (the "nd" object of the
// status result): per service its state, turns, timing and messages,
// then the speaker's counters.

// renderND writes the ND speaker's status.
func renderND(w io.Writer, nd *ndproxy.Status, now time.Time) error {
	fmt.Fprintf(w, "ND mode on interface %s, link-local %s, MAC %s\n", nd.Interface, orDash(nd.Source), orDash(nd.MAC))
	fmt.Fprintf(w, "  min_gap %v, standby_after %v", nd.MinGap, nd.StandbyAfter)
	if len(nd.PrefixesOnLink) > 0 {
		fmt.Fprintf(w, ", on-link prefixes %s", strings.Join(nd.PrefixesOnLink, " "))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	if len(nd.Services) == 0 {
		fmt.Fprintln(w, "No ND services.")
	} else {
		t := newTable(w)
		fmt.Fprintln(t, "Service\tAddress\tState\tFor\tMetric\tWeight\tTurns\tLast turn\tMean turn\tWait mean/max\tRouter sends to")
		for i := range nd.Services {
			s := &nd.Services[i]
			// A withdrawn service takes no turns: no metric, no wait.
			metric, wait := "-", "-"
			if s.State != ndproxy.StateWithdrawn.String() {
				metric = fmt.Sprint(s.Metric)
				wait = short(s.Timing.MeanWait) + "/" + short(s.Timing.MaxWait)
			}
			fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%g\t%d\t%s\t%s\t%s\t%s\n",
				s.Name, s.Address, s.State, clock(now.Sub(s.Since)), metric, s.Weight, s.Stats.Turns,
				ago(s.LastTurn, now), orDash(short(s.MeanTurn)), wait, holderText(s))
		}
		if err := t.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for i := range nd.Services {
			renderNDService(w, &nd.Services[i], now)
		}
	}

	c := &nd.Counters
	fmt.Fprintln(w)
	fmt.Fprintf(w, "ND messages in %d, out %d, ignored %d; solicitations heard for any address %d\n",
		sum(c.In), sum(c.Out), sum(c.Dropped), nd.Solicitations)
	if len(c.Out) > 0 {
		fmt.Fprintf(w, "Sent: %s\n", countList(c.Out))
	}
	if len(c.Dropped) > 0 {
		// hop_limit: not 255 on arrival, so sent from off the link.
		fmt.Fprintf(w, "Ignored: %s\n", strings.Replace(countList(c.Dropped), "hop_limit ", "hop_limit (off-link) ", 1))
	}
	return nil
}

// renderNDService writes a service's messages, and why it is idle.
func renderNDService(w io.Writer, s *ndproxy.ServiceStatus, now time.Time) {
	st := &s.Stats
	fmt.Fprintf(w, "%s: %s: %s\n", s.Name, s.State, s.Reason)
	fmt.Fprintf(w, "  NAs sent %d (%d turns, %d answers), %d NAs heard from %s; takeovers %d, calls %d\n",
		s.NAsSent, st.Turns, st.Answers, st.PeerNAs, plural(len(s.Peers), "peer"), st.Takeovers, st.Calls)
	fmt.Fprintf(w, "  solicitations heard %d, answered %d, unanswered while withdrawn %d; queries %d",
		st.Solicits, st.Answers, st.Ignored, st.Queries)
	if !s.Counting {
		fmt.Fprint(w, " (not counted: no query counter)")
	}
	fmt.Fprintln(w)
	if !s.NextTurn.IsZero() {
		fmt.Fprintf(w, "  next turn in %s (slot %d of %d, %v wide)\n",
			short(s.NextTurn.Sub(now)), s.Timing.Rank, s.Timing.Grid, s.Timing.Slot)
	}
	if s.IdleCause != "" {
		fmt.Fprintf(w, "  idle (%s): %s\n", s.IdleCause, s.IdleReason)
	}
}

// plural writes "1 peer", "2 peers".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// holderText says where the router sends the service's queries.
func holderText(s *ndproxy.ServiceStatus) string {
	switch {
	case s.HolderSelf:
		return "this server"
	case s.Holder != "":
		return s.Holder
	}
	return "-"
}

// short rounds d for a table: milliseconds below 10 s, tenths of a
// second above ("" for 0).
func short(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d < 0:
		return "0s"
	case d < 10*time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// ago writes how long before now t was ("-" for never).
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	if d <= 0 {
		return "now"
	}
	return short(d) + " ago"
}
