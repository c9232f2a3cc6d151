// Package auth implements the OSPFv3 authentication trailer of RFC 7166,
// interoperable with FRR 8.4 ospf6d configured with
//
//	ipv6 ospf6 authentication key-id 1 hash-algo hmac-sha-256 key SECRET
//
// # Wire format (RFC 7166 section 4.1)
//
// The trailer follows the OSPFv3 packet (and its LLS block, if any); the
// packet's Length field does not count it, the IPv6 payload length does:
//
//	 0                   1                   2                   3
//	+-------------------------------+-------------------------------+
//	|   Authentication Type = 1     |   Auth Data Len = 16 + L      |
//	+-------------------------------+-------------------------------+
//	|         Reserved = 0          |  Security Association ID      |
//	+-------------------------------+-------------------------------+
//	|     Cryptographic Sequence Number, high 32 bits (boot count)  |
//	+---------------------------------------------------------------+
//	|     Cryptographic Sequence Number, low 32 bits (packet count) |
//	+---------------------------------------------------------------+
//	|     Authentication Data: the L-byte digest                    |
//
// L is 20, 32, 48 or 64 for HMAC-SHA-1, -256, -384, -512. The Security
// Association ID is the key ID. Hello and Database Description packets with a
// trailer carry the AT option bit (lsa.OptAT, RFC 7166 section 2.1); FRR
// drops a Hello or DBD whose AT bit disagrees with its own configuration.
//
// # Digest (RFC 7166 section 4.5)
//
//	Ks     = Secret || Cryptographic Protocol ID (1, two bytes)
//	Ko     = Ks, or H(Ks) if Ks is longer than L
//	Apad   = IPv6 source address (16 bytes) || 0x878FE1F3 repeated (L-16)/4 times
//	digest = HMAC-H(Ko, packet up to Length || LLS block || trailer up to the
//	         digest || Apad)
//
// That is, while the digest is computed its field holds Apad. The source is
// the link-local address the packet leaves from (receivers use the address
// it arrived from). FRR before 9.1 appends the Protocol ID in host byte
// order, bytes 01 00 on x86 (Dialect DialectFRR8); Debian 12's FRR 8.4.4
// does, as the captures in testdata/auth show. FRR 8.4 built without
// OpenSSL (Debian's build) offers only hmac-sha-256 (and a non-standard MD5).
//
// # Checksum (RFC 7166 section 4)
//
// With a trailer the OSPFv3 checksum is not computed: senders put zero in
// the field and receivers ignore it; the digest, which covers the header,
// protects the packet instead. FRR 8.4 and BIRD 2 do exactly that. A raw
// socket with IPV6_CHECKSUM set (offset 12) is therefore wrong both ways: on
// send the kernel writes a checksum over the whole payload after the digest
// was computed with zero there, so every peer rejects the digest; on receive
// it discards every packet whose checksum field is not right, i.e. all of
// FRR's. A transport used under Transport must leave IPV6_CHECKSUM off
// (-1, the default for IPPROTO_OSPF raw sockets) and not check checksums.
//
// # Sequence numbers and replay (RFC 7166 sections 4.1 and 4.6)
//
// authfile.SeqStore numbers packets so that no number repeats, also across
// crashes: a boot count written durably at every start in the high half, a
// packet counter in the low half. Transport drops a packet whose number is not
// above the last one accepted from the same sender (source address and
// router ID) for the same packet type.
//
// # Keys
//
// Keys come from a file holding the secret alone (authfile.LoadKeyFile
// refuses files others may read). A Keychain holds several keys with send and accept
// windows, for rollover without losing adjacencies (RFC 7166 section 3).
package auth
