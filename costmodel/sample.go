package costmodel

import (
	"fmt"
	"iter"
	"math"
	"slices"
	"time"
)

// InputKind names one input of the model.
type InputKind uint8

const (
	// InputSocket is the service-independent socket monitor: whether a UDP
	// socket of the service is bound, its receive-queue fill and its drops.
	InputSocket InputKind = iota + 1
	// InputProbe is one active check of the service (a DNS or UDP query).
	InputProbe
	// InputExternal is a load figure the service publishes itself.
	InputExternal
	// InputCPU is the service's CPU utilisation: the CPU time its cgroup
	// used per second over the CPU it may use (monitor.RunCPU).
	InputCPU
	// InputManualDrain is the operator's drain/undrain over the control socket.
	InputManualDrain
	// InputDrainFile is the presence of the service's drain file.
	InputDrainFile
)

var inputNames = [...]string{
	InputSocket:      "socket",
	InputProbe:       "probe",
	InputExternal:    "external",
	InputCPU:         "cpu",
	InputManualDrain: "manual_drain",
	InputDrainFile:   "drain_file",
}

// figureOrError reports whether samples of k carry a load figure or an
// error (the external and CPU inputs): an error leaves its term out.
func (k InputKind) figureOrError() bool { return k == InputExternal || k == InputCPU }

// allInputs lists the kinds in the order Explain shows them.
var allInputs = []InputKind{InputSocket, InputProbe, InputExternal, InputCPU, InputManualDrain, InputDrainFile}

// Inputs yields every input kind, in the order Explain shows them.
func Inputs() iter.Seq[InputKind] { return slices.Values(allInputs) }

// String returns the snake_case name used in JSON and config.
func (k InputKind) String() string {
	if k >= InputSocket && int(k) < len(inputNames) {
		return inputNames[k]
	}
	return fmt.Sprintf("InputKind(%d)", uint8(k))
}

// ParseInputKind is the inverse of String.
func ParseInputKind(s string) (InputKind, error) {
	for _, k := range allInputs {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("input kind %q: unknown (want socket, probe, external, cpu, manual_drain or drain_file)", s)
}

// MarshalText encodes the kind as its String form.
func (k InputKind) MarshalText() ([]byte, error) {
	if k < InputSocket || int(k) >= len(inputNames) {
		return nil, fmt.Errorf("input kind %d: unknown", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText decodes the String form.
func (k *InputKind) UnmarshalText(b []byte) error {
	v, err := ParseInputKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Sample is one reading of one input. Input says which; only the fields of
// that input are read. Build samples with the helper functions below.
type Sample struct {
	// At is the sample's time, read only by WhatIf (Observe takes the time
	// from its now argument).
	At time.Time `json:"at,omitzero"`
	// Input names the input this sample belongs to.
	Input InputKind `json:"input"`
	// Source says where the reading came from, for Explain (e.g.
	// "sock_diag poll", "sock_diag destroy", "dns probe", "control socket").
	Source string `json:"source,omitempty"`

	// Present: InputSocket: a socket of the service is bound. A sample with
	// Present false (socket gone) withdraws the service at once.
	Present bool `json:"present,omitempty"`
	// RQueue: InputSocket: receive-queue fill, bytes queued / receive buffer,
	// 0..1 (values outside are clamped, NaN counts as 0).
	RQueue float64 `json:"rqueue,omitempty"`
	// Drops: InputSocket: packets the socket dropped since the previous socket
	// sample (the kernel counter's delta).
	Drops uint64 `json:"drops,omitempty"`

	// OK: InputProbe: the check got a valid answer in time.
	OK bool `json:"ok,omitempty"`
	// Latency: InputProbe: how long the answer took (ignored when !OK).
	Latency time.Duration `json:"latency_ns,omitempty"`

	// Load: InputExternal: the service's own load figure, 0..1; InputCPU:
	// its CPU utilisation (CPU time used per second over the CPU it may
	// use). Clamped to 0..MaxLoad; NaN counts as an error.
	Load float64 `json:"load,omitempty"`
	// Err: InputExternal, InputCPU: reading the figure failed; the term is
	// left out.
	Err string `json:"error,omitempty"`

	// Drained: InputManualDrain, InputDrainFile: drained (file present).
	Drained bool `json:"drained,omitempty"`
}

// SocketSample is a socket monitor reading of a present socket.
func SocketSample(rqueue float64, drops uint64) Sample {
	return Sample{Input: InputSocket, Present: true, RQueue: rqueue, Drops: drops}
}

// SocketGone reports that the service's socket no longer exists (from a poll
// that found none, or from the kernel's socket-destroy notification).
func SocketGone() Sample {
	return Sample{Input: InputSocket, Present: false}
}

// ProbeResult is one active check: ok and, when ok, its latency.
func ProbeResult(ok bool, latency time.Duration) Sample {
	return Sample{Input: InputProbe, OK: ok, Latency: latency}
}

// ExternalLoad is a load figure published by the service.
func ExternalLoad(load float64) Sample {
	return Sample{Input: InputExternal, Load: load}
}

// ExternalError reports that the external load could not be read.
func ExternalError(err error) Sample {
	msg := "unknown error"
	if err != nil {
		msg = err.Error()
	}
	return Sample{Input: InputExternal, Err: msg}
}

// CPULoad is a CPU utilisation reading: the CPU time the service used per
// second of the window over the CPU it may use (1: all of it).
func CPULoad(utilisation float64) Sample {
	return Sample{Input: InputCPU, Load: utilisation}
}

// CPUError reports that the CPU utilisation could not be read (the cgroup
// is gone or unreadable).
func CPUError(err error) Sample {
	s := ExternalError(err)
	s.Input = InputCPU
	return s
}

// ManualDrain is the operator's drain (true) or undrain (false).
func ManualDrain(drained bool) Sample {
	return Sample{Input: InputManualDrain, Drained: drained}
}

// DrainFile reports whether the drain file exists.
func DrainFile(present bool) Sample {
	return Sample{Input: InputDrainFile, Drained: present}
}

// WithSource returns s with Source set.
func (s Sample) WithSource(source string) Sample {
	s.Source = source
	return s
}

// WithTime returns s with At set (for WhatIf).
func (s Sample) WithTime(at time.Time) Sample {
	s.At = at
	return s
}

// sanitized returns s with every number made finite and in range, so that no
// NaN or infinity ever reaches the model's state (or its JSON).
func (s Sample) sanitized() Sample {
	switch s.Input {
	case InputSocket:
		if !s.Present {
			s.RQueue, s.Drops = 0, 0
		}
		s.RQueue = clampLoad(s.RQueue, 1)
	case InputProbe:
		if s.Latency < 0 || !s.OK {
			s.Latency = 0
		}
	case InputExternal, InputCPU:
		if s.Err == "" && math.IsNaN(s.Load) {
			s.Err = "load is not a number"
		}
		if s.Err != "" {
			s.Load = 0
		}
		s.Load = clampLoad(s.Load, MaxLoad)
	}
	return s
}

// clampLoad maps x into [0, hi]; NaN becomes 0.
func clampLoad(x, hi float64) float64 {
	switch {
	case math.IsNaN(x) || x < 0:
		return 0
	case x > hi:
		return hi
	}
	return x
}
