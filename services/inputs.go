package services

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/monitor"
)

// drainFilePoll is how often the drain file is looked for.
const drainFilePoll = 250 * time.Millisecond

// Inputs starts the monitors of one service; they send samples to out
// until ctx is done. probeWait says how long the service's next probe
// waits for its answer (the cost model's ProbeWait, safe to call from any
// goroutine). The system implementation runs the monitor package; tests
// plug in scripted inputs.
type Inputs interface {
	Start(ctx context.Context, s config.Service, probeWait func() time.Duration, out chan<- monitor.Sample)
}

// SystemInputs runs the real monitors: one shared sock_diag watcher for
// every socket monitor (opened with the first), DNS/UDP probes, external
// load, CPU utilisation, the drain file.
type SystemInputs struct {
	Log interface {
		Error(msg string, args ...any)
	}
	once    sync.Once
	sockets *monitor.SocketMonitor
}

// Close stops the shared socket watcher.
func (in *SystemInputs) Close() {
	if in.sockets != nil {
		in.sockets.Close()
	}
}

// Start launches a goroutine per configured input of s.
func (in *SystemInputs) Start(ctx context.Context, s config.Service, probeWait func() time.Duration, out chan<- monitor.Sample) {
	run := func(what string, f func() error) {
		go func() {
			if err := f(); err != nil && ctx.Err() == nil && in.Log != nil {
				in.Log.Error("service input stopped", "service", s.Name, "input", what, "err", err)
			}
		}()
	}
	addr := s.Prefix.Addr()
	if c := s.Socket; c != nil {
		a := c.Address
		if !a.IsValid() {
			a = addr
		}
		cfg := monitor.SocketConfig{Addr: a, Port: c.Port, Interval: c.Interval}
		in.once.Do(func() { in.sockets = monitor.NewSocketMonitor() })
		run("socket", func() error { return in.sockets.Run(ctx, s.Name, cfg, out) })
	}
	if c := s.Probe; c != nil {
		cfg := monitor.ProbeConfig{
			Kind:     c.Kind.String(),
			Target:   netip.AddrPortFrom(addr, c.Port),
			QName:    c.QName,
			QType:    config.QTypeString(c.QType),
			Payload:  c.Payload,
			Expect:   c.Expect,
			Interval: c.Interval,
			Timeout:  c.Timeout,
			Wait:     probeWait,
		}
		run("probe", func() error { return monitor.RunProbe(ctx, s.Name, cfg, out) })
	}
	if c := s.External; c != nil {
		cfg := monitor.ExternalConfig{File: c.File, Command: c.Command, FullRate: c.FullRate, Interval: c.Interval, Timeout: c.Timeout}
		run("external", func() error { return monitor.RunExternal(ctx, s.Name, cfg, out) })
	}
	if c := s.CPU; c != nil {
		cfg := monitor.CPUConfig{Cgroup: c.Cgroup, Cores: c.Cores, Interval: c.Interval, Root: c.CgroupRoot}
		run("cpu", func() error { return monitor.RunCPU(ctx, s.Name, cfg, out) })
	}
	if s.DrainFile != "" {
		run("drain_file", func() error { return monitor.RunDrainFile(ctx, s.Name, s.DrainFile, drainFilePoll, out) })
	}
}

// toModel converts a monitor sample into the cost model's input; ok is
// false for samples the model does not take (a drain file that cannot be
// checked).
func toModel(s monitor.Sample) (costmodel.Sample, bool) {
	switch s.Kind {
	case monitor.KindSocket:
		st := s.Socket
		if st == nil {
			return costmodel.Sample{}, false
		}
		if !st.Present {
			src := "sock_diag poll"
			if st.Destroyed {
				src = "sock_diag destroy"
			}
			return costmodel.SocketGone().WithSource(src), true
		}
		return costmodel.SocketSample(st.Fill, uint64(st.DropsDelta)).WithSource("sock_diag poll"), true
	case monitor.KindProbe:
		if s.Probe == nil {
			return costmodel.Sample{}, false
		}
		return costmodel.ProbeResult(s.Probe.OK, s.Probe.Latency).WithSource("probe"), true
	case monitor.KindExternal:
		if s.Err != nil {
			return costmodel.ExternalError(s.Err).WithSource("external"), true
		}
		if s.External == nil {
			return costmodel.Sample{}, false
		}
		return costmodel.ExternalLoad(s.External.Load).WithSource("external"), true
	case monitor.KindCPU:
		if s.Err != nil {
			return costmodel.CPUError(s.Err).WithSource("cgroup"), true
		}
		if s.CPU == nil {
			return costmodel.Sample{}, false
		}
		return costmodel.CPULoad(s.CPU.Utilisation).WithSource(fmt.Sprintf("cgroup, %.3g CPU (%s)", s.CPU.Cores, s.CPU.Limit)), true
	case monitor.KindDrain:
		if s.Err != nil || s.Drain == nil {
			return costmodel.Sample{}, false
		}
		return costmodel.DrainFile(*s.Drain).WithSource("drain file"), true
	}
	return costmodel.Sample{}, false
}
