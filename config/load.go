package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"
)

// Load reads and parses the file at path. Errors about the content are
// Errors (see AsErrors) naming path; a file that cannot be read, is not a
// regular file (a device, a pipe, a directory) or is larger than
// MaxFileSize gives a plain error, at once.
func Load(path string) (*Config, error) {
	return LoadOnHost(path, nil)
}

// readFile reads a configuration file: a regular file (a symbolic link to
// one is fine) of at most MaxFileSize bytes. It is opened non-blocking, so
// a FIFO put in its place cannot hang the open, and read through a limit,
// so a file that grows (or lies about its size) cannot fill the memory.
func readFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, fileKind(fi.Mode()))
	}
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, larger than the %d a configuration may have", path, fi.Size(), MaxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than the %d bytes a configuration may have", path, MaxFileSize)
	}
	return data, nil
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}

// Parse decodes data strictly and validates it. name stands for the file
// in error messages. On failure the error is Errors, listing every problem
// found.
func Parse(name string, data []byte) (*Config, error) {
	return parse(name, data, nil)
}

// parse is Parse, with the checks of LoadOnHost when h is not nil.
func parse(name string, data []byte, h Host) (cfg *Config, err error) {
	// The decoder has no known panic, but a configuration loader must
	// never take the daemon down on any input.
	defer func() {
		if r := recover(); r != nil {
			cfg, err = nil, Errors{{File: name, Msg: fmt.Sprintf("cannot decode: %v", r)}}
		}
	}()
	var raw rawConfig
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		return nil, decodeError(name, data, err)
	}
	v := &validator{file: name, ix: indexKeys(data)}
	v.unknownKeys(md)
	c := v.config(&raw)
	if len(v.errs) == 0 && h != nil {
		v.host(c, h)
	}
	if len(v.errs) > 0 {
		// File order; problems without a line (a missing key) last.
		slices.SortStableFunc(v.errs, func(a, b *Error) int {
			return cmp.Compare(sortLine(a), sortLine(b))
		})
		return nil, v.errs
	}
	return c, nil
}

// unknownKeys reports every key the raw form does not have. Undecoded
// finds most; the comparison with knownKeys also catches a key spelt in
// another case, which the decoder would match to a field.
func (v *validator) unknownKeys(md toml.MetaData) {
	seen := make(map[string]bool)
	report := func(k toml.Key) {
		plain := strings.Join(k, ".")
		if seen[plain] {
			return
		}
		seen[plain] = true
		// Report the outermost unknown table only, not each key below it.
		for i := 1; i < len(k); i++ {
			if seen[strings.Join(k[:i], ".")] {
				return
			}
		}
		msg := "unknown key"
		for known := range knownKeys {
			if strings.EqualFold(known, plain) {
				msg = fmt.Sprintf("unknown key (keys are case-sensitive: did you mean %s?)", known)
			}
		}
		full := v.ix.fullPath(plain, 0)
		v.errs = append(v.errs, &Error{File: v.file, Line: v.ix.lookup(full), Key: full, Msg: msg})
	}
	for _, k := range md.Undecoded() {
		report(k)
	}
	for _, k := range md.Keys() {
		if !knownKeys[strings.Join(k, ".")] {
			report(k)
		}
	}
}

// decoderError matches the decoder's type errors, which carry the line
// and the key in their text only: `toml: line 4 (last key "ospf"): ...`.
var decoderError = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): (.*)$`)

// decodeError turns an error of the TOML decoder into Errors.
func decodeError(name string, data []byte, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := "syntax error: " + pe.Message
		if pe.LastKey != "" {
			msg += fmt.Sprintf(" (after key %s)", pe.LastKey)
		}
		return Errors{{File: name, Line: pe.Position.Line, Msg: msg}}
	}
	if m := decoderError.FindStringSubmatch(err.Error()); m != nil {
		ix := indexKeys(data)
		line, _ := strconv.Atoi(m[1])
		key := ix.fullPath(m[2], line)
		if line == 0 {
			line = ix.lookup(key)
		}
		msg := m[3]
		if strings.HasPrefix(msg, "type mismatch") || strings.HasPrefix(msg, "incompatible types") {
			msg = "wrong type: " + tableHint(m[2])
		}
		return Errors{{File: name, Line: line, Key: key, Msg: msg}}
	}
	return Errors{{File: name, Msg: strings.TrimPrefix(err.Error(), "toml: ")}}
}

// tableHint says what shape a key that the decoder fills as a table has.
func tableHint(plain string) string {
	switch plain {
	case "service":
		return "write each service as a [[service]] table"
	case "service.tier":
		return "write each tier as a [[service.tier]] table"
	case "ospf.auth.key":
		return "write each key as an [[ospf.auth.key]] table (the secret itself goes in the file key_file names, never in the configuration)"
	}
	return "write it as a table, [" + plain + "]"
}

func sortLine(e *Error) int {
	if e.Line == 0 {
		return math.MaxInt
	}
	return e.Line
}
