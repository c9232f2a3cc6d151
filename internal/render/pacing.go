package render

import (
	"fmt"
	"time"

	"github.com/anycostd/anycostd/ospf"
)

// PacingText says which bound applies to each kind of change of an OSPF
// service (docs/failover-timing.md): for `anycostd status` from what the
// instance learned, for `anycostd check` from the configuration alone.
func PacingText(p ospf.PacingStatus) string {
	router := fmt.Sprintf("the router's MinLSArrival assumed %v", p.RouterMinLSArrival)
	if p.Learned {
		router = fmt.Sprintf("the router's MinLSArrival at most %v, learned from what it took", p.RouterMinLSArrival.Round(time.Millisecond))
	}
	return fmt.Sprintf("Pacing: a metric change goes %v after its LSA's previous change (min_ls_interval);\n"+
		"  a withdrawal at once and, if the router drops it, again %v after that change (%s)",
		p.MinLSInterval, p.WithdrawWithin.Round(time.Millisecond), router)
}

// earlyText is the status line of the early tries, "" when none.
func earlyText(c *ospf.Counters) string {
	if c.EarlyTries == 0 {
		return ""
	}
	return fmt.Sprintf("Withdrawals sent before pacing allowed %d (taken at once %d, sent again when the router's window passed %d)",
		c.EarlyTries, c.EarlyTaken, c.EarlyResends)
}
