package services

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/anycostd/anycostd/internal/durable"
)

// DrainStateFile is the name of the drain state in the state directory.
const DrainStateFile = "drains.json"

// drainStateVersion is the version of the file's format.
const drainStateVersion = 1

// ErrDrainState reports a drain state that cannot be read, written or
// understood.
var ErrDrainState = errors.New("drain state")

// DrainState is the file that keeps the operator's manual drains
// (`anycostd drain`) across restarts and crashes:
//
//	{"version":1,"drained":["dns","ntp"]}
//
// It is written durably (internal/durable) after every drain and
// undrain, before the command returns, and read at start before the
// first advertisement.
type DrainState struct {
	// Path is the file: state_dir/drains.json.
	Path string
}

type drainStateFile struct {
	Version int      `json:"version"`
	Drained []string `json:"drained"`
}

// maxDrainState bounds what Load reads: a thousand service names.
const maxDrainState = 1 << 20

// Load returns the names of the drained services; a missing file is no
// drain (a first start). A file that cannot be read or parsed is an
// error wrapping ErrDrainState.
func (s DrainState) Load() ([]string, error) {
	f, err := os.Open(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrDrainState, s.Path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDrainState+1))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrDrainState, s.Path, err)
	}
	if len(b) > maxDrainState {
		return nil, fmt.Errorf("%w %s: larger than %d bytes", ErrDrainState, s.Path, maxDrainState)
	}
	var st drainStateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w %s: not a drain state: %v", ErrDrainState, s.Path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w %s: not a drain state: more after the JSON object", ErrDrainState, s.Path)
	}
	if st.Version != drainStateVersion {
		return nil, fmt.Errorf("%w %s: version %d, this anycostd reads version %d", ErrDrainState, s.Path, st.Version, drainStateVersion)
	}
	return st.Drained, nil
}

// Save replaces the file with names (sorted), creating the state
// directory (0755) if needed.
func (s DrainState) Save(names []string) error {
	st := drainStateFile{Version: drainStateVersion, Drained: slices.Sorted(slices.Values(names))}
	if st.Drained == nil {
		st.Drained = []string{}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("%w %s: %v", ErrDrainState, s.Path, err)
	}
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o755); err != nil {
		return fmt.Errorf("%w %s: %v", ErrDrainState, s.Path, err)
	}
	if err := durable.WriteFile(s.Path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("%w %s: %v", ErrDrainState, s.Path, err)
	}
	return nil
}
