// Package monitor measures the services anycostd advertises: one goroutine
// per input per service, each sending typed Samples on a channel that the
// daemon reads and feeds to the cost model.
//
// The inputs (issue 3, "Inputs"):
//   - the socket monitor: the UDP sockets bound to the service's port on its
//     anycast address or the wildcard, read through NETLINK_SOCK_DIAG, polled
//     and also re-read the moment the kernel announces a destroyed socket;
//   - the active probe: a DNS query or a raw UDP request to the service;
//   - the external load: a number the service publishes in a file or a
//     command's output;
//   - the CPU utilisation: the CPU time of the service's cgroup per second
//     over the CPU it may use;
//   - the drain file: present means drained.
//
// Every Run function sends until its context ends and then returns nil; it
// returns an error at once only for an invalid configuration. Failures at run
// time (a probe that cannot start, a missing file) are reported in Samples,
// never by crashing or stopping. Sends block until the daemon reads them or
// the context ends.
package monitor

import (
	"context"
	"fmt"
	"time"
)

// Kind says which input a Sample comes from.
type Kind uint8

// The inputs.
const (
	KindSocket   Kind = iota + 1 // socket monitor: Sample.Socket
	KindProbe                    // active probe: Sample.Probe
	KindExternal                 // external load: Sample.External
	KindDrain                    // drain file: Sample.Drain
	KindCPU                      // CPU utilisation: Sample.CPU
)

func (k Kind) String() string {
	switch k {
	case KindSocket:
		return "socket"
	case KindProbe:
		return "probe"
	case KindExternal:
		return "external"
	case KindDrain:
		return "drain"
	case KindCPU:
		return "cpu"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Sample is one measurement of one input of one service. Exactly one of
// Socket, Probe, External, Drain and CPU is set, matching Kind, unless Err is
// set: then the input could not be read this time (for KindExternal and
// KindCPU that counts as a failed check) and the payload is nil.
type Sample struct {
	Service string
	Kind    Kind
	// At is when the measurement was taken (for a probe: when it ended).
	At       time.Time
	Socket   *SocketState
	Probe    *ProbeResult
	External *ExternalLoad
	Drain    *bool
	CPU      *CPUUsage
	Err      error
}

// SocketState is what the socket monitor saw of the service's sockets: the
// unconnected UDP sockets bound to the service port on the anycast address
// or on the wildcard address.
type SocketState struct {
	// Present: at least one such socket exists.
	Present bool
	// Sockets is how many (several with SO_REUSEPORT or one per thread).
	Sockets int
	// Fill is the largest RQueue/RcvBuf among them, in [0, 1].
	Fill float64
	// RQueue and RcvBuf are those of the fullest socket (bytes, truesize).
	RQueue, RcvBuf uint32
	// DropsDelta is the number of datagrams the sockets dropped since the
	// previous sample (0 in the first sample, which only sets the baseline).
	DropsDelta uint32
	// Destroyed: this sample was taken at once because the kernel announced
	// that a socket on the service's port was destroyed, not by the poll.
	Destroyed bool
}

// ProbeResult is the outcome of one active probe.
type ProbeResult struct {
	OK bool
	// Latency is from sending the request to receiving the response; for
	// a failed probe, the time until it was found failed.
	Latency time.Duration
	// Err says why the probe failed; empty when OK.
	Err string
}

// ExternalLoad is the load a service publishes, in [0, 1], or a
// counter's rate over its full rate (ExternalConfig.FullRate), 0 or more.
type ExternalLoad struct {
	Load float64
}

// send delivers s unless ctx ends first; it reports whether it delivered.
func send(ctx context.Context, out chan<- Sample, s Sample) bool {
	select {
	case out <- s:
		return true
	case <-ctx.Done():
		return false
	}
}

// poll calls read at once and then every interval until ctx ends, sending
// each Sample read gives with ok true, stamped with service and the time
// read returned (read gets the time it was called).
func poll(ctx context.Context, service string, interval time.Duration, out chan<- Sample, read func(now time.Time) (s Sample, ok bool)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		now := time.Now()
		s, ok := read(now)
		if ctx.Err() != nil {
			return
		}
		if ok {
			s.Service, s.At = service, time.Now()
			if !send(ctx, out, s) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
