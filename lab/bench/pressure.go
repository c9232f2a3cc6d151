package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuStall returns the machine's cumulative CPU pressure stall time: the
// "some" total of /proc/pressure/cpu (Linux PSI), the time during which at
// least one runnable task waited for a CPU. The difference over a trial
// says how contended the machine was while it ran (a busy neighbour, a
// build), which explains outliers without dropping them.
func cpuStall() (time.Duration, error) {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return 0, err
	}
	return parseStall(string(b))
}

func parseStall(text string) (time.Duration, error) {
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "some" {
			continue
		}
		for _, kv := range f[1:] {
			if v, ok := strings.CutPrefix(kv, "total="); ok {
				us, err := strconv.ParseUint(v, 10, 63)
				if err != nil {
					return 0, fmt.Errorf("/proc/pressure/cpu: total %q: %w", v, err)
				}
				return time.Duration(us) * time.Microsecond, nil
			}
		}
	}
	return 0, fmt.Errorf("/proc/pressure/cpu: no \"some ... total=\" line")
}

// stallMeter measures the CPU stall over one interval; it reads nothing
// and reports -1 where the kernel has no PSI.
type stallMeter struct {
	start time.Duration
	ok    bool
}

func startStall() stallMeter {
	d, err := cpuStall()
	return stallMeter{start: d, ok: err == nil}
}

// ms returns the stall since start in milliseconds, or -1.
func (m stallMeter) ms() float64 {
	if !m.ok {
		return -1
	}
	d, err := cpuStall()
	if err != nil {
		return -1
	}
	return float64((d - m.start).Microseconds()) / 1000
}
