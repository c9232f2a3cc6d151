package host_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/anycostd/anycostd/internal/host"
	"github.com/anycostd/anycostd/lab"
)

func TestServiceAddr(t *testing.T) {
	l := lab.New(t)
	a := l.AddHost("a")
	svc := netip.MustParsePrefix("2001:db8:53::53/128")
	show := func() string {
		t.Helper()
		out, err := a.Run(t.Context(), "ip", "-6", "addr", "show", "dev", "lo")
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	err := a.Do(func() error {
		for i := range 2 { // the second add finds it there: no error
			if err := host.AddServiceAddr("lo", svc); err != nil {
				t.Fatalf("AddServiceAddr #%d: %v", i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := show()
	if !strings.Contains(out, "inet6 2001:db8:53::53/128") || strings.Contains(out, "tentative") {
		t.Fatalf("lo after AddServiceAddr:\n%s\nwant 2001:db8:53::53/128, not tentative", out)
	}
	err = a.Do(func() error {
		for i := range 2 { // the second delete finds nothing: no error
			if err := host.DelServiceAddr("lo", svc); err != nil {
				t.Fatalf("DelServiceAddr #%d: %v", i+1, err)
			}
		}
		for _, p := range []string{"2001:db8:53::/64", "192.0.2.53/32", "::ffff:192.0.2.53/128"} {
			if err := host.AddServiceAddr("lo", netip.MustParsePrefix(p)); !errors.Is(err, host.ErrNotHostAddress) {
				t.Errorf("AddServiceAddr(%s) = %v, want ErrNotHostAddress", p, err)
			}
		}
		if err := host.AddServiceAddr("nosuch0", svc); !errors.Is(err, host.ErrNoSuchInterface) {
			t.Errorf("AddServiceAddr(nosuch0) = %v, want ErrNoSuchInterface", err)
		}
		if err := host.DelServiceAddr("nosuch0", svc); !errors.Is(err, host.ErrNoSuchInterface) {
			t.Errorf("DelServiceAddr(nosuch0) = %v, want ErrNoSuchInterface", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := show(); strings.Contains(out, "2001:db8:53::53") {
		t.Errorf("lo after DelServiceAddr:\n%s", out)
	}
}
