package lab

// zebraV6Replace makes zebra change an IPv6 route in the kernel with one
// RTM_NEWROUTE carrying NLM_F_REPLACE, as it always does for IPv4, instead
// of its IPv6 default: RTM_DELROUTE of the old route, then RTM_NEWROUTE
// of the new one (FRR 8.4.4 zebra/rt_netlink.c,
// netlink_put_route_update_msg: "v6 route replace semantics are not in
// the kernel ... so let's do a delete then an add"; Linux 6.18, the lab's
// kernel, replaces IPv6 multipath routes atomically).
//
// Between the two messages the anycast /128 has no route at all. Every
// change of its next-hop set is such an update: a server drained, added,
// withdrawn or moved to another tier. A query that reaches the router in
// that instant gets ICMPv6 "no route to destination" and is lost, although
// every server that was or will be a next hop still answers.
//
// Found by TestDrainLosesNothing (CI, trial 1: "sent 24000, completed
// 23999, lost 1") and reproduced by TestDrainSoak (make soak) with the
// recording of lab/evidence.go: 5 stops in 80 under 3000 qps lost one
// query each (FRR 8.4.4, Linux 6.18). Each time the lost query left the
// client 11-12 ms after the SIGTERM, the router answered it 9-18 us later
// with ICMPv6 type 1 code 0 (r1's Ip6InNoRoutes and Icmp6OutDestUnreachs
// +1, nothing else dropped in any namespace), and the router's route
// monitor showed right after "Deleted 2001:db8:53::53 nhid 14" followed
// 35-93 us later (as the monitor read them) by "2001:db8:53::53 nhid 23":
// the 3-way next-hop group replaced by the 2-way one through a deletion
// and an addition.
//
// With --v6-rr-semantics the monitor shows one replacement and no
// deletion, and 169 of 170 stops lost nothing; the other one fell in a
// 2.1 s freeze of the whole machine (RELIABILITY.md, section 7). A real
// router running FRR needs the same option (Debian: zebra_options in
// /etc/frr/daemons; docs/quickstart.md, "The router side"). Rejected: a longer
// dnsperf timeout or retried queries (the query is answered by ICMP, not
// late: it would hide the gap, not close it); anything in anycostd (a
// drain has to change the next-hop set, and every change is an update).
const zebraV6Replace = "--v6-rr-semantics"
