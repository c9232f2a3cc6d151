// Package bfd is a Bidirectional Forwarding Detection speaker for the
// server's OSPF neighbors: RFC 5880 asynchronous mode over single-hop
// IPv6 link-local sessions (RFC 5881), so that the link router drops a
// server that goes dark (power, kernel, NIC, cable) within a few BFD
// intervals instead of the OSPF dead interval, and so that the server
// sees a dead neighbor just as fast.
//
// The package has three layers, like package ospf:
//
//   - the codec (packet.go): ControlPacket, Parse and Marshal, with the
//     reception checks of RFC 5880 6.8.6 that need no session;
//   - the engine (engine.go, session.go, fsm.go, timers.go): every
//     session's state machine and timers, pure code driven by events and
//     a clock, which tests run on a fake clock;
//   - the Speaker (speaker.go): one goroutine that owns the engine, reads
//     the Transport and fires the timers; UDPTransport (udp.go) is the
//     only I/O.
//
// What it implements: asynchronous mode, the three-way handshake, Poll
// Sequences for timer changes (RFC 5880 6.5, 6.8.3), detection (6.8.4),
// jittered transmission (6.8.7), AdminDown on Shutdown (6.8.16), the
// Active role (6.1: every session sends from the start, at one packet per
// second until Up), GTSM (RFC 5881 5: hop limit 255 sent, anything below
// dropped).
//
// What it does not: the Echo function (Required Min Echo RX Interval is
// always 0, so peers send no echoes), Demand mode on our side (the D bit
// is never set; a peer that sets it is honoured as RFC 5880 6.8.7 asks:
// periodic transmission towards it stops while both sides are Up),
// authentication (packets with the A bit are dropped, RFC 5880 6.8.6
// step 10), multihop (RFC 5883) and IPv4.
package bfd
