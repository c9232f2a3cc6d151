// Package agent is the router agent of anycostd's active-router mode: it
// runs on the link router, learns every server's load LSA (lsa.ServerLoad)
// by joining the servers' OSPF area as a host that originates no prefix,
// and programs each anycast prefix as one route with weighted next hops,
// the weights split by capacity and then corrected toward equal load.
//
// Membership is OSPF's: a server whose Intra-Area-Prefix-LSA is flushed, or
// that advertises the prefix above the cheapest metric, gets no weight.
// The agent only splits the traffic OSPF would send among the same
// servers, so a withdrawal through the agent is as fast as without it.
//
// Pure parts (no I/O, no clock): BuildView reads the farm from an LSDB
// snapshot; package weights is the weight loop of one prefix. The I/O parts are the
// backends (Backend: zebra over ZAPI, kernel over netlink) and Agent, the
// engine that one goroutine owns. docs/router-agent.md describes the mode.
package agent
