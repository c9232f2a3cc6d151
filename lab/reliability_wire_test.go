package lab

import (
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"testing"
	"time"
)

// The lab's user-space netem (Impair) does what it says: 2000 datagrams
// through a wire with 20% loss, 10% duplication, 25% reordering and 5 ms
// delay arrive in the proportions asked for, some out of order.
func TestWireImpairs(t *testing.T) {
	l := New(t)
	lan := l.AddLink("lan")
	a, b := l.AddHost("a"), l.AddHost("b")
	a.Attach(lan, "eth0")
	bi := b.Attach(lan, "eth0")
	w := b.Impair(lan, "eth0", Impairment{}, 1)

	var rx *net.UDPConn
	if err := b.Do(func() (err error) {
		rx, err = net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6unspecified, Port: 9999})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	var tx *net.UDPConn
	dst := net.UDPAddrFromAddrPort(netip.AddrPortFrom(bi.LinkLocal.WithZone("eth0"), 9999))
	if err := a.Do(func() (err error) {
		tx, err = net.DialUDP("udp6", nil, dst)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer tx.Close()

	got := make(chan uint32, 8192)
	go func() {
		buf := make([]byte, 64)
		for {
			n, _, err := rx.ReadFromUDP(buf)
			if err != nil {
				close(got)
				return
			}
			if n == 4 {
				got <- binary.BigEndian.Uint32(buf)
			}
		}
	}()
	// Neighbor discovery over the clean wire first.
	WaitFor(t, 5*time.Second, "a datagram over the clean wire", func() (bool, error) {
		_, err := tx.Write([]byte{0xff, 0xff, 0xff, 0xff})
		select {
		case <-got:
			return true, nil
		case <-time.After(20 * time.Millisecond):
			return false, err
		}
	})
	time.Sleep(100 * time.Millisecond)
	for len(got) > 0 {
		<-got
	}

	im := Impairment{Loss: 0.2, Duplicate: 0.1, Reorder: 0.25, Delay: 5 * time.Millisecond}
	w.Set(im)
	const n = 2000
	var b4 [4]byte
	for i := range uint32(n) {
		binary.BigEndian.PutUint32(b4[:], i)
		if _, err := tx.Write(b4[:]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Microsecond)
	}
	time.Sleep(200 * time.Millisecond)
	rx.Close()
	seen := map[uint32]int{}
	total, late := 0, 0
	var highest uint32
	for seq := range got {
		if seq == 0xffffffff {
			continue
		}
		total++
		seen[seq]++
		if seq < highest {
			late++
		}
		highest = max(highest, seq)
	}
	_, toB := w.Stats()
	delivered := float64(len(seen)) / n
	dups := float64(total-len(seen)) / float64(len(seen))
	t.Logf("%s: %d sent, %d distinct delivered (%.1f%%), %d duplicates (%.1f%%), %d out of order; wire counts %+v",
		im, n, len(seen), 100*delivered, total-len(seen), 100*dups, late, toB)
	if math.Abs(delivered-0.8) > 0.05 {
		t.Errorf("delivered %.3f of the datagrams, want 0.80 +- 0.05", delivered)
	}
	if math.Abs(dups-0.1) > 0.04 {
		t.Errorf("%.3f duplicates per datagram delivered, want 0.10 +- 0.04", dups)
	}
	if late == 0 {
		t.Error("no datagram arrived out of order")
	}
	if toB.In < n || toB.Dropped == 0 || toB.Duplicated == 0 || toB.Reordered == 0 {
		t.Errorf("wire counts %+v for %d datagrams", toB, n)
	}
}
