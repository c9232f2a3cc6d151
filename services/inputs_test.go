package services

import (
	"errors"
	"testing"

	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/monitor"
)

// TestToModelCPU: a CPU reading becomes the model's cpu input with the
// limit it was measured against as its source; a failed reading an error.
func TestToModelCPU(t *testing.T) {
	s, ok := toModel(monitor.Sample{Kind: monitor.KindCPU, CPU: &monitor.CPUUsage{Utilisation: 0.7, Cores: 0.02, Limit: "cpu.max of lab-nsd-s3"}})
	if !ok || s.Input != costmodel.InputCPU || s.Load != 0.7 || s.Err != "" || s.Source != "cgroup, 0.02 CPU (cpu.max of lab-nsd-s3)" {
		t.Errorf("reading: %+v, %v", s, ok)
	}
	s, ok = toModel(monitor.Sample{Kind: monitor.KindCPU, Err: errors.New("open /sys/fs/cgroup/x/cpu.stat: no such file or directory")})
	if !ok || s.Input != costmodel.InputCPU || s.Err == "" || s.Source != "cgroup" {
		t.Errorf("failed reading: %+v, %v", s, ok)
	}
	if _, ok := toModel(monitor.Sample{Kind: monitor.KindCPU}); ok {
		t.Error("a CPU sample with neither reading nor error was taken")
	}
}
