package lab

import (
	"syscall"
	"testing"
	"time"
)

// FRR 8.4 has been seen keeping a next hop whose Intra-Area-Prefix metric
// rose (testdata/frr/README.md). Raising and lowering one server's metric
// many times must move the router's FIB every time.
func TestMetricIncreaseRepeatedly(t *testing.T) {
	f := NewFarm(t, 3)
	for _, s := range f.Servers {
		s.Start()
	}
	s1, s2, s3 := f.Servers[0], f.Servers[1], f.Servers[2]
	fibIs(t, f, Anycast, 30*time.Second, "3-way ECMP", LinkLocals(s1, s2, s3))
	for i := range 10 {
		time.Sleep(1200 * time.Millisecond)
		s1.WriteConfig(s1.TOML(ServiceTOML("dns", Anycast, 20)))
		s1.Signal(syscall.SIGHUP)
		up := fibIs(t, f, Anycast, 10*time.Second, "s1 out after its metric rose", LinkLocals(s2, s3))
		time.Sleep(1200 * time.Millisecond)
		s1.WriteConfig(s1.TOML(ServiceTOML("dns", Anycast, 10)))
		s1.Signal(syscall.SIGHUP)
		down := fibIs(t, f, Anycast, 10*time.Second, "s1 back after its metric fell", LinkLocals(s1, s2, s3))
		t.Logf("round %d: rise -> FIB %v, fall -> FIB %v", i, up.Round(time.Millisecond), down.Round(time.Millisecond))
	}
}
