// Package lab builds throw-away IPv6 test networks out of Linux network
// namespaces for anycostd's integration tests, demos and benchmarks.
//
// A Lab owns everything it creates: one namespace per Host, one namespace
// per Link (a Linux bridge that hosts join with veth pairs), the processes
// it starts (each in its own process group) and a temporary folder for
// configs and logs. New registers a t.Cleanup that removes all of it, on
// success, failure or panic. Names are unique per Lab ("acd" + 6 random hex
// digits), so labs of parallel tests and packages never collide.
//
// Lab tests need root (and FRR for StartFRR). Without them they are
// skipped, unless the environment has ANYCOSTD_LAB=1 (as CI does): then a
// missing prerequisite fails the test.
//
// FRR runs once per namespace, started with -N <namespace> so that its
// daemons find each other there, with its vty sockets in
// /var/run/frr/<namespace>.
//
// # Tests side by side
//
// Tests that send no load and judge nothing by how fast it happened, only
// by protocol outcomes with bounds of seconds (adjacencies, keys, LSAs,
// routes after timers), call t.Parallel(): go test runs them after every
// other test of the package has finished, at most -parallel at a time
// (make lab: 4). Those that offer dnsperf load, count lost queries, time
// withdrawals in milliseconds or run BFD at 50 ms run alone, one at a
// time, so that no other lab shares the CPU with them. The quiet ones
// spend their time waiting on Hello, dead and retransmission timers, and
// side by side they shorten make test by minutes.
package lab
