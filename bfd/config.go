package bfd

import (
	"errors"
	"fmt"
	"time"
)

// Interval bounds and defaults of Config.
const (
	// MinInterval and MaxInterval bound DesiredMinTx and RequiredMinRx.
	MinInterval = 10 * time.Millisecond
	MaxInterval = 10 * time.Second
	// DefaultInterval is the default DesiredMinTx and RequiredMinRx.
	DefaultInterval = 100 * time.Millisecond
	// DefaultMultiplier is the default detection time multiplier.
	DefaultMultiplier = 3
)

// slowTx is the least Desired Min TX Interval while a session is not Up
// (RFC 5880 6.8.3: not less than one second).
const slowTx = time.Second

// Config is what every session of a speaker uses.
type Config struct {
	// Interface is the name of the interface the sessions run on (the
	// Transport's); peers are link-local addresses on it.
	Interface string
	// DesiredMinTx is bfd.DesiredMinTxInterval once Up (RFC 5880 6.8.1):
	// how often we would like to send. While a session is not Up we
	// advertise at least one second (6.8.3).
	DesiredMinTx time.Duration
	// RequiredMinRx is bfd.RequiredMinRxInterval: the fastest rate at which
	// we accept the peer's packets.
	RequiredMinRx time.Duration
	// Multiplier is bfd.DetectMult: the peer declares us down after this
	// many of our intervals without a packet.
	Multiplier uint8
}

// Defaults fills the zero fields of c: 100 ms both ways, multiplier 3.
func (c *Config) Defaults() {
	if c.DesiredMinTx == 0 {
		c.DesiredMinTx = DefaultInterval
	}
	if c.RequiredMinRx == 0 {
		c.RequiredMinRx = DefaultInterval
	}
	if c.Multiplier == 0 {
		c.Multiplier = DefaultMultiplier
	}
}

// Validate reports the first setting a speaker cannot run with.
func (c *Config) Validate() error {
	switch {
	case c.Interface == "":
		return errors.New("no interface")
	case c.Multiplier == 0:
		return errors.New("multiplier 0")
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"desired min TX", c.DesiredMinTx}, {"required min RX", c.RequiredMinRx}} {
		if f.d < MinInterval || f.d > MaxInterval {
			return fmt.Errorf("%s interval %v out of range %v..%v", f.name, f.d, MinInterval, MaxInterval)
		}
		if f.d%time.Microsecond != 0 {
			return fmt.Errorf("%s interval %v is not whole microseconds", f.name, f.d)
		}
	}
	return nil
}
