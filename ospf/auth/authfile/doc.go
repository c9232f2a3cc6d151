// Package authfile keeps the files of OSPFv3 authentication (RFC 7166,
// package ospf/auth): the key files, read with their permissions checked
// (LoadKeyFile), and the cryptographic sequence number's state, written
// durably so that numbers never repeat across restarts (SeqStore). It is
// the file I/O that ospf/auth itself does not do.
package authfile
