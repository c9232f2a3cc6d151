package ospf

import (
	"sort"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// dbEntry is one LSA instance of the database. It keeps the raw bytes as
// received or originated (age field as it was then) and derives the current
// age from the install time, so aging costs nothing until an LSA is read.
type dbEntry struct {
	raw       []byte
	hdr       lsa.Header // Age is the age at install time
	installed time.Time
	// fromFlood marks instances installed by the flooding procedure (RFC
	// 2328 13 (5.a) applies MinLSArrival only to those), not in answer to
	// our own LS Request (10.9).
	fromFlood bool
	// sentBack is when this instance was last sent back to a neighbor
	// holding an older one (RFC 2328 13 (8)).
	sentBack time.Time
}

// age returns the entry's age at now (RFC 2328 14).
func (e *dbEntry) age(now time.Time) uint16 {
	return lsa.AgeAt(e.hdr.Age, now.Sub(e.installed))
}

// header returns the header with the age at now.
func (e *dbEntry) header(now time.Time) lsa.Header {
	h := e.hdr
	h.Age = e.age(now)
	return h
}

// maxAged reports whether the instance has reached MaxAge.
func (e *dbEntry) maxAged(now time.Time) bool { return e.age(now) >= lsa.MaxAge }

// lsdb holds the LSAs of all three flooding scopes the instance takes part
// in: its one link, its one area and the AS. One map serves them all, since
// the key's type carries the scope.
type lsdb struct {
	m map[lsa.Key]*dbEntry
	// onChange, when set, is called after every install and removal
	// (Instance.LSDBChanged).
	onChange func()
}

func newLSDB() *lsdb { return &lsdb{m: make(map[lsa.Key]*dbEntry)} }

func (db *lsdb) get(k lsa.Key) *dbEntry { return db.m[k] }

// install stores raw as the current instance of its key (RFC 2328 13 (5.d)).
// raw is kept as is: the caller hands over ownership.
func (db *lsdb) install(raw []byte, h lsa.Header, now time.Time, fromFlood bool) *dbEntry {
	e := &dbEntry{raw: raw, hdr: h, installed: now, fromFlood: fromFlood}
	db.m[h.Key()] = e
	db.changed()
	return e
}

func (db *lsdb) remove(k lsa.Key) {
	delete(db.m, k)
	db.changed()
}

func (db *lsdb) changed() {
	if db.onChange != nil {
		db.onChange()
	}
}

func (db *lsdb) len() int { return len(db.m) }

// keys returns the keys in a stable order: scope, type, LSID, advertising
// router.
func (db *lsdb) keys() []lsa.Key {
	ks := make([]lsa.Key, 0, len(db.m))
	for k := range db.m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return keyLess(ks[i], ks[j]) })
	return ks
}

func keyLess(a, b lsa.Key) bool {
	if a.Type.Scope() != b.Type.Scope() {
		return a.Type.Scope() < b.Type.Scope()
	}
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	return a.AdvRouter < b.AdvRouter
}
