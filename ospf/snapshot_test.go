package ospf

import (
	"testing"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// rawLSDB copies every LSA with its current age; the change hook fires on
// installs and removals.
func TestRawLSDBAndChangeHook(t *testing.T) {
	s, r, ss := farm(t, 31, 1)
	changes := 0
	r.e.db.onChange = func() { changes++ }
	ss[0].e.setServices(s.now, []Service{loadService(10, 1, 0.2)})
	s.runUntil(30*time.Second, "Full", allFull(r, ss))
	s.run(10 * time.Second)
	if changes == 0 {
		t.Fatal("no change reported while the router learned the server's LSAs")
	}
	raws := r.e.rawLSDB(s.now)
	if len(raws) != r.e.db.len() {
		t.Fatalf("%d LSAs copied, database holds %d", len(raws), r.e.db.len())
	}
	found := false
	for _, raw := range raws {
		l, err := lsa.Parse(raw)
		if err != nil {
			t.Fatalf("copy does not parse: %v", err)
		}
		ent := r.e.db.get(l.Header.Key())
		if l.Header.Age != ent.age(s.now) {
			t.Errorf("%s: age %d, current age %d", l.Header.Key(), l.Header.Age, ent.age(s.now))
		}
		if !lsa.VerifyChecksum(raw) {
			t.Errorf("%s: checksum no longer verifies", l.Header.Key())
		}
		if _, ok := l.Body.(*lsa.ServerLoad); ok {
			found = true
		}
		raw[lsa.HeaderLen] ^= 0xff // the copy is the caller's
	}
	if !found {
		t.Error("no server load LSA in the copy")
	}
	for _, raw := range r.e.rawLSDB(s.now) {
		if !lsa.VerifyChecksum(raw) {
			t.Fatal("changing a copy changed the database")
		}
	}
}
