#!/usr/bin/env python3
# Writes the annotated .hex files of testdata/bfd from capture.pcap (pcap,
# Ethernet, IPv6, UDP to port 3784), one comment per field. Usage:
# python3 extract.py (from any folder).
import ipaddress, os, struct

STATES = ['AdminDown', 'Down', 'Init', 'Up']
DIAGS = ['none', 'control detection time expired', 'echo function failed',
         'neighbor signaled session down', 'forwarding plane reset', 'path down',
         'concatenated path down', 'administratively down', 'reverse concatenated path down']
HOSTS = {'fe80::ff:fe00:1': 'R1 (FRR 8.4.4 bfdd, the router)',
         'fe80::ff:fe00:11': 'S1 (FRR 8.4.4 bfdd, a server)',
         'fe80::ff:fe00:12': 'S2 (BIRD 2.0.12, a server)'}

def frames(fn):
    d = open(fn, 'rb').read()
    off, n = 24, 0
    while off < len(d):
        ts, tu, cl, _ = struct.unpack('<IIII', d[off:off+16]); off += 16
        fr = d[off:off+cl]; off += cl; n += 1
        ip = fr[14:]
        assert ip[6] == 17, 'not UDP'
        plen = struct.unpack('>H', ip[4:6])[0]
        udp = ip[40:40+plen]
        sport, dport, ulen = struct.unpack('>HHH', udp[:6])
        assert dport == 3784 and ulen == len(udp)
        yield n, ts + tu / 1e6, ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40]), ip[7], sport, udp[8:]

def us(b):
    v = struct.unpack('>I', b)[0]
    return f'{v} us' if v < 1000 or v % 1000 else f'{v // 1000} ms'

def annotate(b):
    out = []
    v, diag = b[0] >> 5, b[0] & 0x1f
    out.append((b[0:1], f'version {v}, diag {diag} ({DIAGS[diag]})'))
    st, fl = b[1] >> 6, b[1] & 0x3f
    bits = [n for n, m in (('P', 32), ('F', 16), ('C', 8), ('A', 4), ('D', 2), ('M', 1)) if fl & m]
    out.append((b[1:2], f'state {st} ({STATES[st]}), flags {"|".join(bits) or "none"}'))
    out.append((b[2:3], f'detect mult {b[2]}'))
    out.append((b[3:4], f'length {b[3]}'))
    out.append((b[4:8], f'my discriminator {struct.unpack(">I", b[4:8])[0]:#010x}'))
    out.append((b[8:12], f'your discriminator {struct.unpack(">I", b[8:12])[0]:#010x}'))
    out.append((b[12:16], f'desired min TX {us(b[12:16])}'))
    out.append((b[16:20], f'required min RX {us(b[16:20])}'))
    out.append((b[20:24], f'required min echo RX {us(b[20:24])}'))
    return out

FILES = [
    (1, 'bird-down', 'first packet of BIRD on S2 to R1: Down, Your Discriminator 0, slow TX (1 s) until Up'),
    (2, 'frr-init', 'R1 answers S2 with Init: FRR advertises 1 s both ways while not Up'),
    (3, 'bird-up-poll', 'S2 (BIRD) goes Up and starts a Poll Sequence with its configured 100 ms'),
    (4, 'frr-up-poll', 'R1 goes Up and starts a Poll Sequence with its profile (50 ms x 3)'),
    (5, 'frr-up-final', "R1's Final answering S2's Poll, sent apart from its own Poll (P and F never together)"),
    (7, 'frr-down', 'first packet of R1 to S1: Down, Your Discriminator 0'),
    (13, 'frr-poll-200ms', "R1's Poll after its profile changed to 200 ms (vtysh reconfiguration)"),
    (18, 'frr-admindown', "S1's peer shut down in FRR (`shutdown`): AdminDown, sent once, with diag 0"),
    (19, 'frr-down-neighbor', 'R1 after S1 signalled AdminDown: Down, diag 3, Your Discriminator cleared'),
    (22, 'frr-init-diag', 'R1 Init after S1 came back, still carrying diag 3 from the last Down'),
    (27, 'frr-down-expired', "R1 after BIRD on S2 stopped: detection time expired (diag 1)"),
]

here = os.path.dirname(os.path.abspath(__file__))
fr = {n: rest for n, *rest in frames(os.path.join(here, 'capture.pcap'))}
t0 = fr[1][0]
for n, name, what in FILES:
    ts, src, dst, hl, sport, b = fr[n]
    assert len(b) == 24, f'frame {n}: {len(b)} bytes'
    lines = [f'# {what}.',
             f'# sender: {HOSTS[str(src)]}',
             f'# src: {src} port {sport}',
             f'# dst: {dst} port 3784',
             f'# hop-limit: {hl}',
             f'# capture: testdata/bfd/capture.pcap frame {n} (t={ts - t0:.6f} s)']
    for part, c in annotate(b):
        lines.append(f'{part.hex(" "):<20}# {c}')
    open(os.path.join(here, name + '.hex'), 'w').write('\n'.join(lines) + '\n')
    print(name)
