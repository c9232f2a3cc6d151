package services

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDrainStateRoundTrip(t *testing.T) {
	st := DrainState{Path: filepath.Join(t.TempDir(), "state", DrainStateFile)}
	// A missing file (and folder) is a first start: nothing drained.
	if got, err := st.Load(); err != nil || got != nil {
		t.Fatalf("Load of a missing file = %v, %v; want nothing", got, err)
	}
	if err := st.Save([]string{"ntp", "dns"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(st.Path)
	if want := `{"version":1,"drained":["dns","ntp"]}` + "\n"; string(b) != want {
		t.Errorf("file = %q, want %q", b, want)
	}
	if got, err := st.Load(); err != nil || !cmp.Equal(got, []string{"dns", "ntp"}) {
		t.Errorf("Load = %v, %v", got, err)
	}
	if err := st.Save(nil); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Load(); err != nil || len(got) != 0 {
		t.Errorf("Load after saving none = %v, %v", got, err)
	}
}

func TestDrainStateBad(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"empty", "", "not a drain state: EOF"},
		{"truncated", `{"version":1,"drained":["dn`, "not a drain state: unexpected EOF"},
		{"garbage", "\x00\x00\x00", "not a drain state: invalid character"},
		{"trailing", `{"version":1,"drained":[]} {}`, "more after the JSON object"},
		{"unknown field", `{"version":1,"drained":[],"x":1}`, `unknown field "x"`},
		{"version", `{"version":2,"drained":[]}`, "version 2, this anycostd reads version 1"},
		{"too large", `{"version":1,"drained":["` + strings.Repeat("a", maxDrainState) + `"]}`, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := DrainState{Path: filepath.Join(dir, tc.name)}
			if err := os.WriteFile(st.Path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := st.Load()
			if !errors.Is(err, ErrDrainState) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), st.Path) {
				t.Errorf("Load = %v, %v; want ErrDrainState naming the file and %q", got, err, tc.want)
			}
		})
	}
	// Unreadable: a directory where the file should be.
	st := DrainState{Path: dir}
	if _, err := st.Load(); !errors.Is(err, ErrDrainState) {
		t.Errorf("Load of a directory: %v, want ErrDrainState", err)
	}
	if err := st.Save([]string{"dns"}); !errors.Is(err, ErrDrainState) {
		t.Errorf("Save over a directory: %v, want ErrDrainState", err)
	}
}
