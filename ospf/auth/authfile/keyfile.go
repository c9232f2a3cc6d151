package authfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"
)

// MaxKeyFileSize bounds a key file; a secret is a short string.
const MaxKeyFileSize = 4096

// LoadKeyFile reads a secret from path. The file holds the key alone; one
// trailing newline ("\n" or "\r\n") is stripped, nothing else. It refuses,
// naming the path and the mode:
//   - anything but a regular file (a symlink to one is followed);
//   - a mode with any bit outside 0600: group or others may read or write
//     it, or it is executable (0600, 0400 and 0200 pass);
//   - an empty key and files above MaxKeyFileSize.
//
// The mode is taken from the opened file, so it is the file that is read.
func LoadKeyFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not hang; it is refused below.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	mode := fi.Mode()
	if !mode.IsRegular() {
		return nil, fmt.Errorf("key file %s: not a regular file (mode %v): %w", path, mode, ErrKeyFile)
	}
	if perm := mode.Perm(); perm&^0o600 != 0 {
		return nil, fmt.Errorf("key file %s: mode %#o, want 0600 or stricter, no access for group and others (chmod 600 %s): %w",
			path, uint32(perm), path, ErrKeyFile)
	}
	if fi.Size() > MaxKeyFileSize {
		return nil, fmt.Errorf("key file %s: %d bytes, more than %d: %w", path, fi.Size(), MaxKeyFileSize, ErrKeyFile)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if len(b) > MaxKeyFileSize {
		return nil, fmt.Errorf("key file %s: more than %d bytes: %w", path, MaxKeyFileSize, ErrKeyFile)
	}
	if c, ok := bytes.CutSuffix(b, []byte("\n")); ok {
		b, _ = bytes.CutSuffix(c, []byte("\r"))
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("key file %s: empty key: %w", path, ErrKeyFile)
	}
	return b, nil
}
