package lab

import (
	"os"
	"testing"
	"time"
)

// Withdrawing one server's prefix (a flush of its Intra-Area-Prefix-LSA)
// and bringing it back, many times: the router's FIB must follow every
// time.
func TestWithdrawRepeatedly(t *testing.T) {
	f := NewFarm(t, 3)
	if os.Getenv("ANYCOSTD_NO_NUDGE") != "" { // to measure what the nudge is for
		f.OSPFExtra = "spf_nudge = false"
	}
	for _, s := range f.Servers {
		s.WriteConfig(s.TOML(ServiceTOML("dns", Anycast, 10)))
		s.Start()
	}
	s1, s2, s3 := f.Servers[0], f.Servers[1], f.Servers[2]
	fibIs(t, f, Anycast, 30*time.Second, "3-way ECMP", LinkLocals(s1, s2, s3))
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range []string{"show ipv6 ospf6 database intra-prefix detail", "show ipv6 ospf6 database router detail", "show ipv6 ospf6 route 2001:db8:53::53/128 detail", "show ipv6 route 2001:db8:53::53/128"} {
				o, _ := f.Router.Vtysh(c)
				t.Logf("%s:\n%s", c, o)
			}
		}
	})
	for i := range 3 {
		time.Sleep(1200 * time.Millisecond)
		if out, err := s1.CLI("drain", "dns"); err != nil {
			t.Fatalf("drain: %v %s", err, out)
		}
		out := fibIs(t, f, Anycast, 5*time.Second, "s1 out after drain", LinkLocals(s2, s3))
		time.Sleep(1200 * time.Millisecond)
		if out, err := s1.CLI("undrain", "dns"); err != nil {
			t.Fatalf("undrain: %v %s", err, out)
		}
		back := fibIs(t, f, Anycast, 5*time.Second, "s1 back after undrain", LinkLocals(s1, s2, s3))
		t.Logf("round %d: drain -> FIB %v, undrain -> FIB %v", i, out.Round(time.Millisecond), back.Round(time.Millisecond))
	}
}
