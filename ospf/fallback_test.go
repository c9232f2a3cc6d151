package ospf

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// The dearest tier's prefix of docs/sites.md, and a service at metric
// (the /128) with it as the fallback at metric 40.
var dearestPrefix = mustPrefix("2001:db8:53::50/126")

func withFallback(metric uint16) Service {
	s := dnsService(metric)
	s.Fallback, s.FallbackMetric = dearestPrefix, 40
	return s
}

// TestServiceFallbackLSA: a service with a fallback prefix puts it in its
// Intra-Area-Prefix-LSA after its prefix, each prefix with its own metric
// (RFC 5340 4.4.3.9, A.4.10). The body's bytes, field by field.
func TestServiceFallbackLSA(t *testing.T) {
	s, r, ss := farm(t, 81, 1)
	n := ss[0]
	n.e.setServices(s.now, []Service{withFallback(10)})
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	ent, _ := r.lsa(iapKey("192.0.2.11", 1))
	if ent == nil || ent.maxAged(s.now) {
		t.Fatal("the router holds no live Intra-Area-Prefix-LSA of the service")
	}
	want := []byte{
		0x00, 0x02, // # prefixes: 2
		0x20, 0x01, // referenced LS type: Router-LSA
		0x00, 0x00, 0x00, 0x00, // referenced Link State ID: 0
		0xc0, 0x00, 0x02, 0x0b, // referenced advertising router: 192.0.2.11
		128,        // PrefixLength: the service /128
		0x00,       // PrefixOptions: none
		0x00, 0x0a, // Metric: 10
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x53, 0x00, 0x00, // Address Prefix: 2001:db8:53::53
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53,
		126,        // PrefixLength: the fallback /126
		0x00,       // PrefixOptions: none
		0x00, 0x28, // Metric: 40
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x53, 0x00, 0x00, // Address Prefix: 2001:db8:53::50
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50,
	}
	if got := ent.raw[lsa.HeaderLen:]; !bytes.Equal(got, want) {
		t.Errorf("body\n% x\nwant\n% x", got, want)
	}
}

// TestServiceFallbackSteps: the prefixes of the service's LSA through the
// steps of docs/sites.md: below the dearest tier (the /128 and the
// fallback), in the dearest tier (its prefix alone: the manager hands no
// fallback), drained with max-tier (the same: no new instance), withdrawn
// (flushed: neither), back below (both again). A fallback equal to the
// prefix is carried once, and a service without one has a one-prefix
// LSA, byte for byte the body it always had.
func TestServiceFallbackSteps(t *testing.T) {
	s, r, ss := farm(t, 82, 1)
	n := ss[0]
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(3 * time.Second)
	key := iapKey("192.0.2.11", 1)
	held := func() (lsa.Header, []lsa.Prefix) {
		ent, l := r.lsa(key)
		if ent == nil || ent.maxAged(s.now) {
			return lsa.Header{}, nil
		}
		return ent.hdr, l.Body.(*lsa.IntraAreaPrefix).Prefixes
	}
	host, dearest := dnsService(0).Prefix, dearestPrefix
	inDearest := Service{Name: "dns", Prefix: dearest, Metric: 40}
	var prev lsa.Header
	for i, st := range []struct {
		what    string
		svc     Service
		want    []lsa.Prefix
		newInst bool
	}{
		{"below the dearest tier", withFallback(10), []lsa.Prefix{{Prefix: host, Metric: 10}, {Prefix: dearest, Metric: 40}}, true},
		{"a dearer tier below the dearest", withFallback(20), []lsa.Prefix{{Prefix: host, Metric: 20}, {Prefix: dearest, Metric: 40}}, true},
		{"in the dearest tier", inDearest, []lsa.Prefix{{Prefix: dearest, Metric: 40}}, true},
		{"drained with max-tier", inDearest, []lsa.Prefix{{Prefix: dearest, Metric: 40}}, false},
		{"withdrawn", Service{Name: "dns", Prefix: host, Withdraw: true, Drained: true}, nil, true},
		{"back below the dearest tier", withFallback(10), []lsa.Prefix{{Prefix: host, Metric: 10}, {Prefix: dearest, Metric: 40}}, true},
		{"a fallback equal to the prefix", Service{Name: "dns", Prefix: dearest, Metric: 40, Fallback: dearest, FallbackMetric: 40}, []lsa.Prefix{{Prefix: dearest, Metric: 40}}, true},
		{"no fallback", dnsService(10), []lsa.Prefix{{Prefix: host, Metric: 10}}, true},
	} {
		n.e.setServices(s.now, []Service{st.svc})
		n.e.tick(s.now)
		s.run(2 * time.Second)
		h, got := held()
		if !slices.Equal(got, st.want) {
			t.Errorf("step %d, %s: the router holds %v, want %v", i, st.what, got, st.want)
		}
		if fb := st.svc.Fallback; fb.IsValid() && fb != st.svc.Prefix {
			if ss := n.e.status(s.now).Services[0]; ss.Fallback != dearest.String() || ss.FallbackMetric != 40 {
				t.Errorf("step %d, %s: the status shows the fallback %q at %d, want %s at 40", i, st.what, ss.Fallback, ss.FallbackMetric, dearest)
			}
		}
		if fresh := h != prev; i > 0 && fresh != st.newInst {
			t.Errorf("step %d, %s: a new instance %v, want %v", i, st.what, fresh, st.newInst)
		}
		prev = h
	}
	if st := n.e.status(s.now).Services[0]; st.Fallback != "" || st.FallbackMetric != 0 {
		t.Errorf("without a fallback the status shows %q at %d", st.Fallback, st.FallbackMetric)
	}
	ent, _ := r.lsa(key)
	enc, err := lsa.Marshal(lsa.LSA{Header: lsa.Header{Type: lsa.TypeIntraAreaPrefix}, Body: &lsa.IntraAreaPrefix{
		RefType: lsa.TypeRouter, RefAdvRouter: ridOf("192.0.2.11"), Prefixes: []lsa.Prefix{{Prefix: host, Metric: 10}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ent.raw[lsa.HeaderLen:], enc[lsa.HeaderLen:]) {
		t.Errorf("without a fallback the body is\n% x\nwant\n% x", ent.raw[lsa.HeaderLen:], enc[lsa.HeaderLen:])
	}
}

// TestLinkLSANoFallbackPrefix: a service's fallback prefix, like its
// prefix, is never in the Link-LSA (link_lsa.go).
func TestLinkLSANoFallbackPrefix(t *testing.T) {
	s, r, srv := linkFarm(t, 83, "2001:db8:1::100/64", "2001:db8:53::51/126")
	srv.e.handle(s.now, evServices{[]Service{withFallback(10)}})
	s.run(3 * time.Second)
	if got, want := linkLSAPrefixes(t, r, srv), []netip.Prefix{mustPrefix("2001:db8:1::/64")}; !slices.Equal(got, want) {
		t.Errorf("the router holds Link-LSA prefixes %v, want %v (no fallback prefix)", got, want)
	}
}
