package authfile

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// setBlock makes reservations small for one test.
func setBlock(t *testing.T, n uint64) {
	old := seqBlock
	seqBlock = n
	t.Cleanup(func() { seqBlock = old })
}

func readState(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSeqStoreFreshAndReopen(t *testing.T) {
	setBlock(t, 4)
	path := filepath.Join(t.TempDir(), "state", "auth-seq")
	s, err := OpenSeqStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := readState(t, path); got != "boot=1 reserved=5\n" {
		t.Errorf("state after open %q", got)
	}
	for _, p := range []string{path, filepath.Dir(path)} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	var got []uint64
	for range 6 {
		v, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	want := []uint64{1<<32 | 1, 1<<32 | 2, 1<<32 | 3, 1<<32 | 4, 1<<32 | 5, 1<<32 | 6}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Next = %x, want %x", got, want)
	}
	if st := readState(t, path); st != "boot=1 reserved=9\n" {
		t.Errorf("state after 6 packets %q", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); !errors.Is(err, ErrSeqState) {
		t.Errorf("Next after Close: %v", err)
	}
	// The next boot: high half 2, low half above the last reservation (9),
	// so both halves grow (what FRR 8.4 needs).
	s, err = OpenSeqStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	if v != 2<<32|9 {
		t.Errorf("first number of boot 2: %#x, want %#x", v, uint64(2<<32|9))
	}
}

// TestSeqStoreLock: a second open of the same state fails while the first
// holds it, and works after Close.
func TestSeqStoreLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth-seq")
	a, err := OpenSeqStore(path)
	if err != nil {
		t.Fatal(err)
	}
	before := readState(t, path)
	if _, err := OpenSeqStore(path); !errors.Is(err, ErrSeqState) || !strings.Contains(err.Error(), "another process") {
		t.Fatalf("second open: %v", err)
	}
	if after := readState(t, path); after != before {
		t.Errorf("the refused open changed the state: %q -> %q", before, after)
	}
	a.Close()
	b, err := OpenSeqStore(path)
	if err != nil {
		t.Fatalf("open after Close: %v", err)
	}
	b.Close()
}

func TestSeqStoreBadState(t *testing.T) {
	for _, tc := range []struct {
		content string
		want    error
	}{
		{"", ErrSeqState},
		{"garbage\n", ErrSeqState},
		{"boot=1 reserved=2", ErrSeqState}, // no newline: torn write
		{"boot=x reserved=2\n", ErrSeqState},
		{"boot=1 reserved=4294967297\n", ErrSeqState},
		{"boot=4294967296 reserved=2\n", ErrSeqState},
		{"reserved=2 boot=1\n", ErrSeqState},
		{"boot=4294967295 reserved=2\n", ErrSeqExhausted},
	} {
		path := filepath.Join(t.TempDir(), "auth-seq")
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := OpenSeqStore(path)
		if !errors.Is(err, tc.want) {
			t.Errorf("state %q: %v, want %v", tc.content, err, tc.want)
		}
		if s != nil {
			s.Close()
		}
		if got := readState(t, path); got != tc.content {
			t.Errorf("state %q rewritten to %q", tc.content, got)
		}
		// The refused open released its lock.
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Remove(path)
		s, err = OpenSeqStore(path)
		if err != nil {
			t.Errorf("after %q: reopen: %v", tc.content, err)
		} else {
			s.Close()
		}
	}
}

// TestSeqStoreLowWrap: when the low half is used up the boot count goes up
// (and is written) and numbers keep growing.
func TestSeqStoreLowWrap(t *testing.T) {
	setBlock(t, 4)
	path := filepath.Join(t.TempDir(), "auth-seq")
	if err := os.WriteFile(path, []byte("boot=7 reserved=4294967290\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenSeqStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var prev uint64
	var got []uint64
	for range 10 {
		v, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if v <= prev {
			t.Fatalf("%#x after %#x", v, prev)
		}
		prev = v
		got = append(got, v)
	}
	want := []uint64{
		8<<32 | 4294967290, 8<<32 | 4294967291, 8<<32 | 4294967292, 8<<32 | 4294967293,
		8<<32 | 4294967294, 8<<32 | 4294967295, 9<<32 | 1, 9<<32 | 2, 9<<32 | 3, 9<<32 | 4,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Next = %x\nwant   %x", got, want)
	}
	if st := readState(t, path); st != "boot=9 reserved=5\n" {
		t.Errorf("state %q", st)
	}
}

// TestSeqStoreOpenNearWrap: a reservation too close to the end of the low
// half starts the new boot at 1.
func TestSeqStoreOpenNearWrap(t *testing.T) {
	setBlock(t, 16)
	path := filepath.Join(t.TempDir(), "auth-seq")
	if err := os.WriteFile(path, []byte("boot=3 reserved=4294967290\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenSeqStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Next(); err != nil || v != 4<<32|1 {
		t.Errorf("Next = %#x, %v", v, err)
	}
}

// TestSeqStoreWriteFailure: when a reservation cannot be written, Next
// returns an error and no number, and keeps failing until it can write.
func TestSeqStoreWriteFailure(t *testing.T) {
	setBlock(t, 2)
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "auth-seq")
	s, err := OpenSeqStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 2 {
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if v, err := s.Next(); !errors.Is(err, ErrSeqState) || v != 0 {
			t.Fatalf("Next with the directory gone = %#x, %v", v, err)
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	v, err := s.Next()
	if err != nil || v != 1<<32|3 {
		t.Errorf("Next after the directory came back = %#x, %v, want %#x", v, err, uint64(1<<32|3))
	}
}

// TestSeqStoreCrash kills (SIGKILL) a process using the store at random
// moments, with tiny reservations so that kills land around the durable
// writes, and checks after each crash that the next boot's numbers are
// above every number the killed process handed out, and so are their low
// halves (FRR 8.4 compares the halves separately).
func TestSeqStoreCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	path := filepath.Join(t.TempDir(), "auth-seq")
	var highest uint64
	var highestLow uint32
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSeqStoreHelperProcess$")
		cmd.Env = append(os.Environ(), "ACD_AUTH_SEQ_HELPER="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill() // when the test fails early
		sc := bufio.NewScanner(out)
		killAt := 1 + rng.IntN(200)
		var first uint64
		n := 0
		for sc.Scan() {
			v, err := strconv.ParseUint(sc.Text(), 16, 64)
			if err != nil {
				t.Fatalf("helper printed %q", sc.Text())
			}
			if n == 0 {
				first = v
			}
			if v <= highest || uint32(v) <= highestLow {
				t.Fatalf("round %d: %#x is not above %#x, handed out before the crash, or its low half not above %#x",
					round, v, highest, highestLow)
			}
			highest, highestLow = v, uint32(v)
			n++
			if n == killAt {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: helper did not die of SIGKILL: %v", round, err)
		}
		if n < killAt {
			t.Fatalf("round %d: helper printed %d numbers, killed after %d", round, n, killAt)
		}
		if first>>32 != uint64(round+1) {
			t.Errorf("round %d: boot count %d, want %d", round, first>>32, round+1)
		}
	}
	s, err := OpenSeqStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Next(); err != nil || v <= highest {
		t.Errorf("after the last crash: %#x, %v; highest before %#x", v, err, highest)
	}
}

// TestSeqStoreHelperProcess is the process TestSeqStoreCrash kills: it
// prints sequence numbers until it dies. It never closes the store.
func TestSeqStoreHelperProcess(t *testing.T) {
	path := os.Getenv("ACD_AUTH_SEQ_HELPER")
	if path == "" {
		t.Skip("helper process for TestSeqStoreCrash")
	}
	seqBlock = 3
	s, err := OpenSeqStore(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for {
		v, err := s.Next()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// One write per number: what was printed was handed out.
		if _, err := os.Stdout.WriteString(strconv.FormatUint(v, 16) + "\n"); err != nil {
			os.Exit(3)
		}
	}
}
