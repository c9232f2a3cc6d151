package ospf

import (
	"bytes"
	"context"
	"time"

	"github.com/anycostd/anycostd/lsa"
)

// evRawLSDB asks for a copy of every LSA of the database.
type evRawLSDB struct{ reply chan<- [][]byte }

func (evRawLSDB) eventName() string { return "raw-lsdb" }

// rawLSDB copies every LSA of the database with its age field set to the
// current age, in the database's key order.
func (e *engine) rawLSDB(now time.Time) [][]byte {
	keys := e.db.keys()
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		ent := e.db.get(k)
		raw := bytes.Clone(ent.raw)
		lsa.SetAge(raw, ent.age(now))
		out = append(out, raw)
	}
	return out
}

// RawLSDB returns a copy of every LSA in the database (each with its
// current age), for a reader of the LSAs themselves such as the router
// agent. LSDBChanged says when to read again.
func (in *Instance) RawLSDB(ctx context.Context) ([][]byte, error) {
	reply := make(chan [][]byte, 1)
	if err := in.send(evRawLSDB{reply}); err != nil {
		return nil, err
	}
	select {
	case r := <-reply:
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-in.done:
		return nil, ErrStopped
	}
}

// LSDBChanged receives a value after an LSA is installed in or removed
// from the database (coalesced: one value may stand for many changes).
func (in *Instance) LSDBChanged() <-chan struct{} { return in.changed }

// notifyChanged is the database's change hook.
func (in *Instance) notifyChanged() {
	select {
	case in.changed <- struct{}{}:
	default:
	}
}
