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
package lab
