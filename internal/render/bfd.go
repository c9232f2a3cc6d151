package render

import (
	"fmt"
	"io"
	"time"

	"github.com/anycostd/anycostd/bfd"
)

// renderBFD writes the BFD sessions ([ospf.bfd]) in the manner of FRR's
// `show bfd peers brief`, one line each: state (ours/the peer's), time in
// it, the negotiated intervals (our TX, the peer's TX as we receive it,
// the detection time), the diagnostics (ours/the peer's) and the flaps
// (Up to Down, with the last one's diagnostic).
func renderBFD(w io.Writer, st *bfd.Status, now time.Time) error {
	if len(st.Sessions) == 0 {
		_, err := fmt.Fprintf(w, "No BFD sessions on %s (none with a DR or BDR yet).\n", st.Interface)
		return err
	}
	fmt.Fprintf(w, "BFD sessions on %s:\n", st.Interface)
	t := newTable(w)
	fmt.Fprintln(t, "Peer\tState/Remote\tDuration\tTX\tRX\tDetect\tDiag/Remote\tFlaps")
	for _, s := range st.Sessions {
		flaps := fmt.Sprint(s.Downs)
		if s.LastDownDiag != "" {
			flaps += " (last: " + s.LastDownDiag + ")"
		}
		fmt.Fprintf(t, "%s\t%s/%s\t%s\t%s\t%s\t%s\t%s/%s\t%s\n",
			s.Peer, s.State, s.RemoteState, clock(now.Sub(s.Since)),
			interval(s.TxInterval), interval(s.RxInterval), interval(s.DetectTime),
			s.Diag, s.RemoteDiag, flaps)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if len(st.Dropped) > 0 {
		fmt.Fprintf(w, "BFD packets no session took: %s\n", countList(st.Dropped))
	}
	return nil
}

// interval writes a BFD interval, "-" for none (the peer not heard yet).
func interval(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.String()
}
