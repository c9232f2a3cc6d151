package progtb

import (
	"testing"
	"time"
)

func TestPark(t *testing.T) {
	tb := New(Options{Name: "demo"})
	tb.Helper() // returns: not parked yet
	select {
	case <-tb.Parked():
		t.Fatalf("Parked() closed before Park")
	default:
	}

	step := make(chan int, 3)
	go func() {
		tb.Helper()
		step <- 1
		<-step // wait for Park
		tb.Helper()
		step <- 2 // never reached
	}()
	if got := <-step; got != 1 {
		t.Fatalf("step = %d, want 1", got)
	}
	tb.Park()
	select {
	case <-tb.Parked():
		t.Fatalf("Parked() closed before a Helper call after Park")
	default:
	}
	step <- 0
	select {
	case <-tb.Parked():
	case <-time.After(10 * time.Second):
		t.Fatalf("Parked() not closed 10 s after the goroutine's next Helper call")
	}
	select {
	case got := <-step:
		t.Fatalf("the goroutine went on past Helper after Park (step %d)", got)
	case <-time.After(100 * time.Millisecond):
	}

	// A second goroutine parks too (Parked is closed once).
	second := make(chan struct{})
	go func() {
		tb.Helper()
		close(second)
	}()
	select {
	case <-second:
		t.Fatalf("a second goroutine went on past Helper after Park")
	case <-time.After(100 * time.Millisecond):
	}
}
