package authfile

import "errors"

// Sentinel errors; callers match them with errors.Is. Every error this
// package returns wraps one of them or an error of the file system, and
// says what was wrong and where.
var (
	// ErrKeyFile: a key file is unsafe or unusable (mode, type, size).
	ErrKeyFile = errors.New("authfile: unusable key file")
	// ErrSeqState: the sequence number state file is unreadable, corrupt,
	// locked by another process or cannot be written durably.
	ErrSeqState = errors.New("authfile: sequence number state")
	// ErrSeqExhausted: the 64-bit cryptographic sequence number space is
	// used up; a new key (and a removed state file) is needed.
	ErrSeqExhausted = errors.New("authfile: cryptographic sequence numbers exhausted")
)
