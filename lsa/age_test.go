package lsa

import (
	"testing"
	"time"
)

func TestAgeConstants(t *testing.T) {
	if MaxAge != 3600 || MaxAgeDiff != 900 || CheckAge != 300 || LSRefreshTime != 1800 {
		t.Errorf("age constants %d %d %d %d, want 3600 900 300 1800", MaxAge, MaxAgeDiff, CheckAge, LSRefreshTime)
	}
	if LSRefreshInterval != 30*time.Minute || MinLSArrival != time.Second || MinLSInterval != 5*time.Second {
		t.Errorf("intervals %v %v %v, want 30m 1s 5s", LSRefreshInterval, MinLSArrival, MinLSInterval)
	}
}

func TestAgeAt(t *testing.T) {
	tests := []struct {
		rcvd    uint16
		elapsed time.Duration
		want    uint16
	}{
		{0, 0, 0},
		{1, 999 * time.Millisecond, 1}, // whole seconds only
		{1, time.Second, 2},
		{1, 2500 * time.Millisecond, 3},
		{100, 30 * time.Minute, 1900},
		{3000, 599 * time.Second, 3599},
		{3000, 600 * time.Second, MaxAge},
		{3000, 10 * time.Hour, MaxAge},
		{MaxAge, 0, MaxAge},             // received at MaxAge stays MaxAge
		{MaxAge, time.Hour, MaxAge},     //
		{MaxAge + 5, 0, MaxAge},         // beyond MaxAge is capped
		{0xffff, time.Second, MaxAge},   // no overflow
		{10, -5 * time.Second, 10},      // negative elapsed counts as zero
		{0, 1 << 62, MaxAge},            // huge elapsed
		{0, time.Duration(-1 << 63), 0}, // most negative
	}
	for _, tc := range tests {
		if got := AgeAt(tc.rcvd, tc.elapsed); got != tc.want {
			t.Errorf("AgeAt(%d, %v) = %d, want %d", tc.rcvd, tc.elapsed, got, tc.want)
		}
	}
}

func TestAddTransDelay(t *testing.T) {
	tests := []struct {
		age   uint16
		delay time.Duration
		want  uint16
	}{
		{0, time.Second, 1},
		{5, 0, 5},
		{5, time.Millisecond, 6}, // any positive delay counts as a second
		{5, 1500 * time.Millisecond, 7},
		{5, 2 * time.Second, 7},
		{MaxAge - 1, time.Second, MaxAge},
		{MaxAge, time.Second, MaxAge},
		{MaxAge - 1, time.Hour, MaxAge},
		{0xffff, time.Second, MaxAge},
		{5, -time.Second, 5},
	}
	for _, tc := range tests {
		if got := AddTransDelay(tc.age, tc.delay); got != tc.want {
			t.Errorf("AddTransDelay(%d, %v) = %d, want %d", tc.age, tc.delay, got, tc.want)
		}
	}
}
