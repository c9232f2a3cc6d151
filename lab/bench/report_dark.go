package main

import (
	"fmt"
	"strings"
)

// reportDark writes the dark row's section (issue 18).
func (b *bench) reportDark(r *strings.Builder) {
	r.WriteString("## 9. A server goes dark: its link dropped -> the router's FIB without it\n\n")
	fmt.Fprintf(r, "FRR 8.4.4 as the link router, three anycostd servers (hello 1 s, dead 4 s; the /128 with a static metric), "+
		"%d trials per setting, one setting after the other on the same lab. A trial drops one server's link by netlink inside its namespace "+
		"(nothing on the server can speak any more, as with a power loss, a kernel panic or a cut cable) after a random wait of 0-1 s "+
		"(spreading the drop over the Hello and BFD cycles), and times it to the first kernel route message for the /128 at the router "+
		"whose next hops no longer include that server. The servers take turns; the link comes back, and the next trial waits until every "+
		"server is in the FIB again and, with BFD, until bfdd's session with the next server is Up at the setting's interval.\n\n", b.cfg.darkTrials)
	r.WriteString("- **no BFD**: OSPF alone; the router keeps the server until its dead interval (4 s) runs out after the server's last Hello.\n" +
		"- **BFD**: each anycostd with `[ospf.bfd]` at the interval (a session with the DR, the router), the router with bfdd, " +
		"`ipv6 ospf6 bfd` and `ipv6 ospf6 bfd profile` of the same interval x 3 on its server interface (docs/bfd.md): bfdd declares the " +
		"server dead after 3 intervals without its packets, and ospf6d drops the neighbour and its routes at once.\n\n")
	alts := [][2]string{}
	for _, set := range darkSettings {
		alts = append(alts, [2]string{set.key, set.label})
	}
	sums := b.statTable(r, "dark", "dark_to_fib_ms", "milliseconds from the link drop to the FIB change", alts)
	if s, ok := sums["bfd-50ms"]; ok {
		fmt.Fprintf(r, "Goal (a median of at most 200 ms with 50 ms x 3 against FRR 8.4.4): %s: the median is %s ms over %d trials.\n\n",
			metOrNot(s.Median <= 200), fmtNum(s.Median), s.N)
	}
	if stalls := b.stalls("dark", "dark_to_fib_ms", alts); len(stalls) > 0 {
		r.WriteString("The machine's CPU pressure during each trial (PSI `some`, from the drop to the FIB change): " + strings.Join(stalls, "; ") + ".\n\n")
	}
	r.WriteString("Reading: without BFD a dark server stays in the router's FIB for the dead interval minus the time since its last Hello " +
		"(here 3-4 s; 30-40 s with OSPF's default hello 10 s, dead 40 s), and the router sends it its share of the queries all that time. " +
		"With BFD the router's detection time bounds it: 3 x the interval (the router's profile against the server's `[ospf.bfd]`: " +
		"each side sends at the slower of its own TX and the other's RX), counted from the last packet the router received, so a trial " +
		"can come in under it by up to one interval; ospf6d, SPF and zebra (whose FIB updates wait up to 10 ms) add the rest. " +
		"Choose the interval by the window a dark server may cost against the false Downs a busy server may cause (docs/bfd.md, \"Choosing the interval\").\n\n")
	b.writeNotes(r, "dark")
}
