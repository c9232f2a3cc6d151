package bfd

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkEngine measures the engine's work for one speaker with 64 Up
// sessions, each peer sending every interval (the scripted peers cost
// nothing: their packets are encoded once). One iteration is one
// simulated second: every packet received, every timer fired, every
// packet encoded and handed to a transport that drops it, and
// nextDeadline after each step, as Speaker.Run calls it. The cpu-% metric
// is the engine's share of one core (syscalls, channels and timers of the
// live speaker not included).
func BenchmarkEngine(b *testing.B) {
	for _, interval := range []time.Duration{100 * time.Millisecond, 50 * time.Millisecond} {
		b.Run(fmt.Sprintf("64x%v", interval), func(b *testing.B) { benchEngine(b, 64, interval) })
	}
}

func benchEngine(b *testing.B, n int, interval time.Duration) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	cfg := Config{Interface: simIface, DesiredMinTx: interval, RequiredMinRx: interval, Multiplier: 3}
	sent := 0
	e := newEngine(cfg, func(netip.Addr, []byte) error { sent++; return nil }, testLog(b, "bench"), 1)
	peers := make([]netip.Addr, n)
	for i := range peers {
		peers[i] = netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 14: byte(i >> 8), 15: byte(i) + 1})
	}
	e.setPeers(now, peers)
	e.tick(now)
	// Each peer's packets: Init to bring the session Up, then Up with
	// Final (ending our Poll), then plain Up.
	pkt := func(i int, st State, final bool) Datagram {
		s := e.sessions[peers[i].WithZone(simIface)]
		data, err := ControlPacket{State: st, Final: final, DetectMult: 3, MyDiscriminator: uint32(i + 1), YourDiscriminator: s.localDiscr,
			DesiredMinTx: interval, RequiredMinRx: interval}.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		return Datagram{Src: peers[i], HopLimit: 255, Data: data}
	}
	up := make([]Datagram, n)
	for i := range peers {
		for _, d := range []Datagram{pkt(i, StateInit, false), pkt(i, StateUp, true)} {
			e.receive(now, d)
			e.tick(now)
		}
		up[i] = pkt(i, StateUp, false)
	}
	for _, s := range e.order {
		if s.state != StateUp || s.polling {
			b.Fatalf("session %v: %v, polling %v", s.peer, s.state, s.polling)
		}
	}
	e.takeEvents()
	// Peer i sends at offset i*interval/n within each interval.
	next := make([]time.Time, n)
	for i := range next {
		next[i] = now.Add(time.Duration(i) * interval / time.Duration(n))
	}
	received := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		end := now.Add(time.Second)
		for now.Before(end) {
			t := e.nextDeadline()
			p := -1
			for i, at := range next {
				if at.Before(t) || t.IsZero() {
					t, p = at, i
				}
			}
			now = t
			if p >= 0 {
				e.receive(now, up[p])
				received++
				next[p] = next[p].Add(interval)
			}
			e.tick(now)
		}
	}
	b.StopTimer()
	if len(e.takeEvents()) != 0 {
		b.Fatal("state changes during the benchmark")
	}
	perSec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(100*perSec, "cpu-%")
	b.ReportMetric(float64(received)/float64(b.N), "rx/s")
	b.ReportMetric(float64(sent)/float64(b.N), "tx/s")
}
