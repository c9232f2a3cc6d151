package auth

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// fuzzKeys are the keys the fuzz targets verify with: the ones of the golden
// vectors (so that seeds verify and mutations start from valid packets).
func fuzzKeychain(f *testing.F) *Keychain {
	seen := map[uint16]bool{}
	var keys []Key
	for _, v := range loadVectors(f) {
		k := v.key(f)
		if seen[k.ID] {
			continue // the same ID with another secret: keep the first
		}
		seen[k.ID] = true
		keys = append(keys, k)
	}
	return mustKeychain(f, keys...)
}

// FuzzVerify: Verify never panics, never modifies its input, and what it
// accepts is self-consistent.
func FuzzVerify(f *testing.F) {
	kc := fuzzKeychain(f)
	for _, v := range loadVectors(f) {
		s := v.src(f).As16()
		f.Add(v.data, s[:])
	}
	f.Add([]byte{}, []byte{})
	f.Add([]byte{3, 1, 0, 16}, make([]byte, 4))
	now := time.Now()
	f.Fuzz(func(t *testing.T, data, src []byte) {
		var a netip.Addr
		if s, ok := netip.AddrFromSlice(src); ok {
			a = s
		}
		in := bytes.Clone(data)
		tr, err := Verify(data, a, kc, now)
		if !bytes.Equal(in, data) {
			t.Fatal("Verify modified its input")
		}
		if err != nil {
			for _, s := range []error{ErrNoTrailer, ErrMalformed, ErrUnknownKey, ErrAlgorithm, ErrBadDigest} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error without a sentinel: %v", err)
		}
		k, ok := kc.AcceptKey(tr.KeyID, now)
		if !ok || tr.Start+k.Algorithm.TrailerLen() != len(data) || len(tr.Digest) != k.Algorithm.Size() {
			t.Fatalf("accepted inconsistent trailer %+v for %d bytes", tr, len(data))
		}
	})
}

// FuzzAppendVerify: whatever Append accepts, Verify accepts with the same
// key, reporting the key ID, the sequence number and where the trailer
// starts; the input is never modified.
func FuzzAppendVerify(f *testing.F) {
	for _, v := range loadVectors(f) {
		s := v.src(f).As16()
		n := int(v.data[2])<<8 | int(v.data[3])
		k := v.key(f)
		f.Add(v.data[:n], s[:], k.Secret, uint8(k.Algorithm), uint8(k.Dialect), k.ID, v.seq(f))
	}
	f.Fuzz(func(t *testing.T, pkt, src, secret []byte, alg, dialect uint8, id uint16, seq uint64) {
		a, ok := netip.AddrFromSlice(src)
		if !ok {
			a = netip.MustParseAddr("fe80::1")
		}
		key := Key{ID: id, Algorithm: Algorithm(alg%4 + 1), Dialect: Dialect(dialect % 2), Secret: secret}
		in := bytes.Clone(pkt)
		out, err := Append(pkt, a, key, seq)
		if !bytes.Equal(in, pkt) {
			t.Fatal("Append modified its input")
		}
		if err != nil {
			return
		}
		kc, err := NewKeychain(key)
		if err != nil {
			t.Fatalf("Append accepted a key NewKeychain refuses: %v", err)
		}
		tr, err := Verify(out, a, kc, time.Now())
		if err != nil {
			t.Fatalf("Verify(Append(...)): %v", err)
		}
		if tr.KeyID != id || tr.Seq != seq || tr.Start != len(pkt) {
			t.Fatalf("trailer %+v, want key %d seq %d start %d", tr, id, seq, len(pkt))
		}
	})
}
