#!/usr/bin/env python3
"""Writes the annotated .hex vectors of testdata/auth (python3 vectors.py).

Independent of the Go code: the digests are computed here with Python's
hmac/hashlib, so that the Go tests compare two implementations.

Two kinds of files:
  rfc-*.hex   synthetic packets signed as RFC 7166 section 4.5 says:
              Ks = key || Cryptographic Protocol ID 1 (bytes 00 01);
              Ko = H(Ks) when Ks is longer than the digest length L, else Ks;
              digest = HMAC(Ko, packet || trailer header || Apad), where Apad
              is the IPv6 source address followed by 0x878FE1F3 repeated up to
              L bytes.
  frr-*.hex   real packets from FRR 8.4.4 ospf6d (Debian 12 build), taken with
              capture.sh into frr-capture*.pcap. FRR 8.4 appends the Protocol
              ID in host byte order (bytes 01 00 on x86), the "frr8" dialect;
              this script checks every extracted packet against that rule.

Header lines every file has (machine-readable, read by the Go tests):
  # src: <IPv6 source address>     # key: <secret, ASCII>
  # key-id: <n>   # algorithm: <name>   # dialect: rfc7166|frr8
  # seq: <cryptographic sequence number, hex>
"""
import hashlib
import hmac
import ipaddress
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
HASHES = {'hmac-sha-1': hashlib.sha1, 'hmac-sha-256': hashlib.sha256,
          'hmac-sha-384': hashlib.sha384, 'hmac-sha-512': hashlib.sha512}
PROTO_ID = {'rfc7166': b'\x00\x01', 'frr8': b'\x01\x00'}
APAD = bytes.fromhex('878fe1f3')


def digest(alg, dialect, key, src, covered):
    h = HASHES[alg]
    size = h().digest_size
    ks = key + PROTO_ID[dialect]
    ko = h(ks).digest() if len(ks) > size else ks
    apad = src.packed + APAD * ((size - 16) // 4)
    return hmac.new(ko, covered + apad, h).digest()


def ip4(b):
    return str(ipaddress.IPv4Address(b))


def options(b):
    v = int.from_bytes(b, 'big')
    names = [(0x400, 'AT'), (0x200, 'L'), (0x100, 'AF'), (0x20, 'DC'), (0x10, 'R'),
             (0x8, 'N'), (0x2, 'E'), (0x1, 'V6')]
    return '|'.join(n for bit, n in names if v & bit) or 'none'


TYPES = {1: 'Hello', 2: 'Database Description', 3: 'Link State Request',
         4: 'Link State Update', 5: 'Link State Acknowledgment'}


def lsa_header_fields(b, i):
    return [
        (b[0:2], f'lsa header {i}: age {int.from_bytes(b[0:2], "big")}'),
        (b[2:4], f'lsa header {i}: type 0x{b[2:4].hex()}'),
        (b[4:8], f'lsa header {i}: link state ID {ip4(b[4:8])}'),
        (b[8:12], f'lsa header {i}: advertising router {ip4(b[8:12])}'),
        (b[12:16], f'lsa header {i}: sequence 0x{b[12:16].hex()}'),
        (b[16:18], f'lsa header {i}: checksum 0x{b[16:18].hex()}'),
        (b[18:20], f'lsa header {i}: length {int.from_bytes(b[18:20], "big")}'),
    ]


def fields(pkt, alg):
    """Splits pkt (OSPFv3 packet + trailer) into (bytes, comment) fields."""
    n = int.from_bytes(pkt[2:4], 'big')
    t = pkt[1]
    f = [
        (pkt[0:1], 'version 3'),
        (pkt[1:2], f'type {t}, {TYPES[t]}'),
        (pkt[2:4], f'packet length {n} (the trailer is not counted)'),
        (pkt[4:8], f'router ID {ip4(pkt[4:8])}'),
        (pkt[8:12], f'area ID {ip4(pkt[8:12])}'),
        (pkt[12:14], f'checksum 0x{pkt[12:14].hex()} (zero: omitted with a trailer)'),
        (pkt[14:15], f'instance ID {pkt[14]}'),
        (pkt[15:16], 'reserved'),
    ]
    b = pkt[16:n]
    if t == 1:
        f += [
            (b[0:4], f'interface ID {int.from_bytes(b[0:4], "big")}'),
            (b[4:5], f'router priority {b[4]}'),
            (b[5:8], f'options {options(b[5:8])}'),
            (b[8:10], f'hello interval {int.from_bytes(b[8:10], "big")} s'),
            (b[10:12], f'router dead interval {int.from_bytes(b[10:12], "big")} s'),
            (b[12:16], f'designated router {ip4(b[12:16])}'),
            (b[16:20], f'backup designated router {ip4(b[16:20])}'),
        ]
        for i in range(20, len(b), 4):
            f.append((b[i:i + 4], f'neighbor {ip4(b[i:i + 4])}'))
    elif t == 2:
        fl = b[7]
        names = '|'.join(x for bit, x in ((4, 'I'), (2, 'M'), (1, 'MS')) if fl & bit) or 'none'
        f += [
            (b[0:1], 'reserved'),
            (b[1:4], f'options {options(b[1:4])}'),
            (b[4:6], f'interface MTU {int.from_bytes(b[4:6], "big")}'),
            (b[6:7], 'reserved'),
            (b[7:8], f'flags {names}'),
            (b[8:12], f'DD sequence number 0x{b[8:12].hex()}'),
        ]
        for i in range(12, len(b), 20):
            f += lsa_header_fields(b[i:i + 20], (i - 12) // 20)
    elif t == 5:
        for i in range(0, len(b), 20):
            f += lsa_header_fields(b[i:i + 20], i // 20)
    elif t == 4:
        f.append((b[0:4], f'number of LSAs {int.from_bytes(b[0:4], "big")}'))
        p = 4
        for i in range(int.from_bytes(b[0:4], 'big')):
            ln = int.from_bytes(b[p + 18:p + 20], 'big')
            f += lsa_header_fields(b[p:p + 20], i)
            for j in range(p + 20, p + ln, 16):
                f.append((b[j:min(j + 16, p + ln)], f'lsa {i} body'))
            p += ln
    else:
        for j in range(0, len(b), 16):
            f.append((b[j:j + 16], 'body'))
    tr = pkt[n:]
    dl = len(tr) - 16
    f += [
        (tr[0:2], 'trailer: authentication type 1, HMAC cryptographic authentication'),
        (tr[2:4], f'trailer: authentication data length {int.from_bytes(tr[2:4], "big")} (16 + {dl}-byte digest)'),
        (tr[4:6], 'trailer: reserved'),
        (tr[6:8], f'trailer: security association ID (key ID) {int.from_bytes(tr[6:8], "big")}'),
        (tr[8:12], f'trailer: sequence number, high 32 bits {int.from_bytes(tr[8:12], "big")} (boot count)'),
        (tr[12:16], f'trailer: sequence number, low 32 bits {int.from_bytes(tr[12:16], "big")} (packet count)'),
    ]
    for j in range(16, len(tr), 16):
        f.append((tr[j:j + 16], f'trailer: {alg} digest bytes {j - 16}..{min(j + 16, len(tr)) - 17}'))
    assert b''.join(x for x, _ in f) == pkt, 'annotation does not cover the packet'
    return f


def write(name, headers, pkt, alg):
    lines = ['# ' + h for h in headers]
    for b, c in fields(pkt, alg):
        lines.append(f'{b.hex(" "):<48} # {c}')
    with open(os.path.join(HERE, name), 'w') as fh:
        fh.write('\n'.join(lines) + '\n')
    print(name, len(pkt))


def trailer(pkt, src, alg, dialect, key, key_id, seq):
    size = HASHES[alg]().digest_size
    hdr = struct.pack('>HHHHQ', 1, 16 + size, 0, key_id, seq)
    return pkt + hdr + digest(alg, dialect, key, src, pkt + hdr)


def ospf(t, rid, body):
    return struct.pack('>BBH4s4sHBB', 3, t, 16 + len(body), ipaddress.IPv4Address(rid).packed,
                       bytes(4), 0, 0, 0) + body


def lsa_hdr(age, typ, lsid, adv, seq, ck, ln):
    return struct.pack('>HH4s4sIHH', age, typ, ipaddress.IPv4Address(lsid).packed,
                       ipaddress.IPv4Address(adv).packed, seq, ck, ln)


def synthetic():
    src = ipaddress.IPv6Address('fe80::a0c:2ff:fe00:10')
    hello = ospf(1, '192.0.2.10', struct.pack('>IB3sHH4s4s4s', 2, 0, (0x403).to_bytes(3, 'big'), 10, 40,
                                              ipaddress.IPv4Address('192.0.2.1').packed, bytes(4),
                                              ipaddress.IPv4Address('192.0.2.1').packed))
    dbd = ospf(2, '192.0.2.10', struct.pack('>B3sHBBI', 0, (0x403).to_bytes(3, 'big'), 1500, 0, 0x01, 0x5eed0002)
               + lsa_hdr(1, 0x2009, '0.0.0.1', '192.0.2.10', 0x80000001, 0x1b2c, 44))
    lsack = ospf(5, '192.0.2.10', lsa_hdr(3, 0x2001, '0.0.0.0', '192.0.2.1', 0x80000003, 0x4e1f, 40)
                 + lsa_hdr(3, 0x0008, '0.0.0.2', '192.0.2.1', 0x80000001, 0x77a0, 56))
    cases = [
        ('rfc-hello-sha1.hex', hello, 'hmac-sha-1', 'rfc7166', b'anycostd', 1, 0x0000000100000001,
         'Hello of a priority-0 host listing the DR; HMAC-SHA-1 (L = 20: Apad is the source address and one 0x878FE1F3); short key, used as is'),
        ('rfc-hello-sha256.hex', hello, 'hmac-sha-256', 'rfc7166', b'anycostd', 7, 0x0000000200004000,
         'the same Hello, HMAC-SHA-256, key ID 7'),
        ('rfc-hello-sha256-frr8.hex', hello, 'hmac-sha-256', 'frr8', b'anycostd', 7, 0x0000000200004000,
         'the same Hello signed as FRR 8.4 does (Protocol ID bytes 01 00): only the digest differs from rfc-hello-sha256.hex'),
        ('rfc-dbd-sha384.hex', dbd, 'hmac-sha-384', 'rfc7166', b'a-sixty-byte-key-for-hmac-sha-384-longer-than-its-48-byte-L..', 2, 0x00000003ffffff00,
         'Database Description (ExStart, one LSA header); HMAC-SHA-384 with a key longer than L - 2, so Ko = SHA-384(Ks)'),
        ('rfc-lsack-sha512.hex', lsack, 'hmac-sha-512', 'rfc7166', b'k' * 70, 65535, 0xfffffffe00000001,
         'Link State Acknowledgment with two LSA headers; HMAC-SHA-512 with a 70-byte key, so Ko = SHA-512(Ks)'),
    ]
    for name, pkt, alg, dialect, key, kid, seq, what in cases:
        full = trailer(pkt, src, alg, dialect, key, kid, seq)
        write(name, [what + '.',
                     'Synthetic, signed by testdata/auth/vectors.py (Python hmac/hashlib).',
                     f'src: {src}', f'key: {key.decode()}', f'key-id: {kid}', f'algorithm: {alg}',
                     f'dialect: {dialect}', f'seq: 0x{seq:016x}'], full, alg)


def pcap(fn):
    d = open(fn, 'rb').read()
    off, n = 24, 0
    while off < len(d):
        ts, tu, cl, _ = struct.unpack('<IIII', d[off:off + 16])
        off += 16
        fr = d[off:off + cl]
        off += cl
        n += 1
        ip = fr[14:]
        assert ip[6] == 89
        plen = int.from_bytes(ip[4:6], 'big')
        yield n, ts + tu / 1e6, ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40]), ip[7], ip[40:40 + plen]


def frr():
    caps = [
        ('frr-capture.pcap', 'anycostd-lab-key', [
            (13, 'frr-hello.hex', 'Hello from router A (192.0.2.1, priority 10, the DR to be) to AllSPFRouters, listing B'),
            (16, 'frr-dbd.hex', 'Database Description from A to B (unicast, hop limit 64) with two LSA headers'),
            (23, 'frr-lsupdate.hex', 'Link State Update from B (192.0.2.11, priority 0, like a server) to AllDRouters'),
            (31, 'frr-lsack.hex', 'delayed Link State Acknowledgment from B to AllDRouters'),
        ]),
        ('frr-capture-longkey.pcap', '0123456789abcdefghijklmnopqrstuvwxyzABCD', [
            (3, 'frr-hello-longkey.hex', 'Hello from router A with a 40-byte key: Ks (42 bytes) is longer than L = 32, so Ko = SHA-256(Ks); plain HMAC (RFC 2104) would use the key as is'),
        ]),
    ]
    for cap, key, picks in caps:
        pk = {n: rest for n, *rest in pcap(os.path.join(HERE, cap))}
        for n, name, what in picks:
            ts, src, dst, hl, o = pk[n]
            ln = int.from_bytes(o[2:4], 'big')
            tr = o[ln:]
            seq = int.from_bytes(tr[8:16], 'big')
            kid = int.from_bytes(tr[6:8], 'big')
            got = digest('hmac-sha-256', 'frr8', key.encode(), src, o[:ln + 16])
            assert got == tr[16:], (cap, n, 'does not verify with the frr8 dialect')
            assert digest('hmac-sha-256', 'rfc7166', key.encode(), src, o[:ln + 16]) != tr[16:]
            write(name, [what + '.',
                         f'Real packet: testdata/auth/{cap} frame {n}, FRR 8.4.4 ospf6d (Debian 12), taken by capture.sh',
                         f'with "ipv6 ospf6 authentication key-id 1 hash-algo hmac-sha-256 key {key}".',
                         f'src: {src}', f'dst: {dst}', f'hop-limit: {hl}', f'key: {key}', f'key-id: {kid}',
                         'algorithm: hmac-sha-256', 'dialect: frr8', f'seq: 0x{seq:016x}'], o, 'hmac-sha-256')


if __name__ == '__main__':
    synthetic()
    frr()
