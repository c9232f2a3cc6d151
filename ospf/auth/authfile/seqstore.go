package authfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/anycostd/anycostd/internal/durable"
)

// seqBlock is how many low halves one durable write reserves. A variable so
// that tests can make blocks small.
var seqBlock uint64 = 1 << 14

// lowSpace is the number of values of the low 32 bits.
const lowSpace = 1 << 32

// SeqStore hands out the 64-bit cryptographic sequence numbers of RFC 7166
// section 4.1, never the same twice, also across crashes: the high 32 bits
// are a boot count kept in a state file, the low 32 bits count packets.
//
// OpenSeqStore increments the boot count and writes it durably (temporary
// file, fsync, rename, fsync of the directory) before it returns, so before
// any packet is sent; a crash at any point leaves the old or the new state,
// and both lead to numbers above all numbers used before. When the low half
// would wrap, the boot count is incremented and written again.
//
// The low half also keeps growing across restarts: the file records a
// reservation, the low half up to which numbers may be handed out, and
// every start continues above the previous reservation (writing a new one
// each seqBlock packets). RFC 7166 needs only the 64-bit number to grow, but
// FRR 8.4 drops a packet unless the high half is at least and the low half
// strictly above the last one it saw from that neighbor (separately per
// packet type), so a low half restarting at 1 would be refused until FRR
// dropped the neighbor, for a dead interval after every restart.
//
// A lock file next to the state file (flock) keeps two processes from
// sharing the state. SeqStore is safe for concurrent use.
type SeqStore struct {
	mu       sync.Mutex
	path     string
	lock     *os.File
	boot     uint32
	low      uint64 // next low half to hand out, 1..lowSpace
	reserved uint64 // durable: every low half handed out is below it, up to lowSpace
}

// OpenSeqStore opens (creating it and its directory, mode 0700, if needed)
// the state at path and starts a new boot. It fails if another process
// holds the state, if the file is corrupt (it is never reset silently: that
// could reuse numbers; move it away only together with a key change) or if
// the boot count is exhausted.
func OpenSeqStore(path string) (*SeqStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sequence state %s: %v: %w", path, err, ErrSeqState)
	}
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sequence state %s: %v: %w", path, err, ErrSeqState)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("sequence state %s: held by another process (two daemons sharing one state file would reuse numbers): %w", path, ErrSeqState)
		}
		return nil, fmt.Errorf("sequence state %s: lock: %v: %w", path, err, ErrSeqState)
	}
	s := &SeqStore{path: path, lock: lock}
	boot, reserved, err := readSeqState(path)
	if err != nil {
		lock.Close()
		return nil, err
	}
	if boot == math.MaxUint32 {
		lock.Close()
		return nil, fmt.Errorf("sequence state %s: boot count %d: %w", path, boot, ErrSeqExhausted)
	}
	s.boot = boot + 1
	s.low = max(reserved, 1)
	if s.low+seqBlock > lowSpace {
		s.low = 1 // the new boot count alone keeps the numbers new
	}
	s.reserved = s.low + seqBlock
	if err := s.persist(); err != nil {
		lock.Close()
		return nil, err
	}
	return s, nil
}

// Next returns the next sequence number. It writes the state durably first
// when the current reservation is used up, and fails (sending nothing is
// then the only safe choice) if that write fails or all 2^64 numbers are
// used.
func (s *SeqStore) Next() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return 0, fmt.Errorf("sequence state %s: closed: %w", s.path, ErrSeqState)
	}
	if s.low >= s.reserved {
		boot, low := s.boot, s.low
		if s.low >= lowSpace { // the low half wraps: new boot count
			if s.boot == math.MaxUint32 {
				return 0, fmt.Errorf("sequence state %s: %w", s.path, ErrSeqExhausted)
			}
			s.boot, s.low = s.boot+1, 1
		}
		s.reserved = min(s.low+seqBlock, lowSpace)
		if err := s.persist(); err != nil {
			s.boot, s.low = boot, low
			s.reserved = low // retry the write next time
			return 0, err
		}
	}
	v := uint64(s.boot)<<32 | s.low
	s.low++
	return v, nil
}

// Close releases the lock. The state on disk is already current.
func (s *SeqStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

// persist writes boot and reserved to the state file durably.
func (s *SeqStore) persist() error {
	data := fmt.Sprintf("boot=%d reserved=%d\n", s.boot, s.reserved)
	if err := durable.WriteFile(s.path, []byte(data), 0o600); err != nil {
		return fmt.Errorf("sequence state %s: %v: %w", s.path, err, ErrSeqState)
	}
	return nil
}

// readSeqState parses the state file; a missing file is a first start.
func readSeqState(path string) (boot uint32, reserved uint64, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("sequence state %s: %v: %w", path, err, ErrSeqState)
	}
	bad := func(why string) error {
		return fmt.Errorf("sequence state %s: %s (content %q); it is never reset silently, that could reuse sequence numbers: change the key, then remove the file: %w",
			path, why, truncate(string(b), 64), ErrSeqState)
	}
	line, ok := strings.CutSuffix(string(b), "\n")
	if !ok {
		return 0, 0, bad("no trailing newline")
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		return 0, 0, bad("want two fields")
	}
	bs, ok1 := strings.CutPrefix(f[0], "boot=")
	rs, ok2 := strings.CutPrefix(f[1], "reserved=")
	if !ok1 || !ok2 {
		return 0, 0, bad("want boot=N reserved=M")
	}
	bv, err1 := strconv.ParseUint(bs, 10, 32)
	rv, err2 := strconv.ParseUint(rs, 10, 64)
	if err1 != nil || err2 != nil || rv > lowSpace {
		return 0, 0, bad("number out of range")
	}
	return uint32(bv), rv, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
