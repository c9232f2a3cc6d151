package lsa

import "fmt"

// max24 is the largest value of the 24-bit fields (Options, metrics).
const max24 = 1<<24 - 1

func get24(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

func append24(b []byte, v uint32) []byte { return append(b, byte(v>>16), byte(v>>8), byte(v)) }

// check24 reports a value that does not fit its 24-bit field.
func check24(name string, v uint32) error {
	if v > max24 {
		return fmt.Errorf("%s %#x does not fit 24 bits: %w", name, v, ErrBadField)
	}
	return nil
}
