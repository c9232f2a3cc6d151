#!/usr/bin/env python3
# Extracts the .hex files of testdata/frr from capture.pcap (pcap, Ethernet, IPv6
# without extension headers). Usage: python3 extract.py (from any folder).
import os
import struct, ipaddress, sys
LT={0x2001:'Router',0x2002:'Network',0x2003:'InterAreaPrefix',0x2004:'InterAreaRouter',0x4005:'ASExternal',0x0008:'Link',0x2009:'IntraAreaPrefix'}
PT={1:'Hello',2:'DBD',3:'LSReq',4:'LSUpdate',5:'LSAck'}
def pkts(fn):
    d=open(fn,'rb').read()
    off=24; n=0
    while off<len(d):
        ts,tu,cl,ol=struct.unpack('<IIII',d[off:off+16]); off+=16
        fr=d[off:off+cl]; off+=cl; n+=1
        ip=fr[14:]
        assert ip[6]==89
        src=ipaddress.IPv6Address(ip[8:24]); dst=ipaddress.IPv6Address(ip[24:40]); hl=ip[7]
        plen=struct.unpack('>H',ip[4:6])[0]
        yield n, ts+tu/1e6, src, dst, hl, ip[40:40+plen]
def desc(o):
    t=o[1]; rid=ipaddress.IPv4Address(o[4:8]); s=f'{PT[t]} rid={rid} len={len(o)}'
    if t==1:
        nb=[str(ipaddress.IPv4Address(o[36+4*i:40+4*i])) for i in range((len(o)-36)//4)]
        s+=f' prio={o[20]} dr={ipaddress.IPv4Address(o[28:32])} nbrs={nb}'
    if t==2:
        fl=o[23]; s+=f' flags={"I" if fl&4 else ""}{"M" if fl&2 else ""}{"MS" if fl&1 else ""} seq={o[24:28].hex()} hdrs={(len(o)-28)//20}'
    if t==3: s+=f' reqs={(len(o)-16)//12}'
    if t==4:
        k=struct.unpack('>I',o[16:20])[0]; p=20; l=[]
        for i in range(k):
            ty,ln=struct.unpack('>H',o[p+2:p+4])[0],struct.unpack('>H',o[p+18:p+20])[0]
            l.append(f'{LT.get(ty,hex(ty))}/{ipaddress.IPv4Address(o[p+8:p+12])}/{o[p+12:p+16].hex()}')
            p+=ln
        s+=f' lsas={l}'
    if t==5: s+=f' hdrs={(len(o)-16)//20}'
    return s
here=os.path.dirname(os.path.abspath(__file__))
cap=os.path.join(here,'capture.pcap'); out=here+'/'
pk={n:(ts,src,dst,hl,o) for n,ts,src,dst,hl,o in pkts(cap)}
t0=pk[1][0]
who={}
def csum(src,dst,o):
    ph=src.packed+dst.packed+struct.pack('>I',len(o))+b'\0\0\0\x59'
    b=ph+o
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('>%dH'%(len(b)//2),b))
    while s>>16: s=(s&0xffff)+(s>>16)
    return s==0xffff
names={'192.0.2.1':'R1 (router: DR on the link, ABR, ASBR)','192.0.2.11':'S1 (server, priority 0)','192.0.2.12':'S2 (server, priority 0)'}
files=[
 (1,'hello-r1-first','first Hello from R1: no DR/BDR elected yet, no neighbors'),
 (15,'hello-r1-dr','Hello from R1 after the election: R1 is DR, lists S1 and S2'),
 (3,'hello-s1-first','first Hello from server S1: priority 0, no neighbors yet'),
 (11,'hello-s1-2way','Hello from server S1 listing R1 and S2, DR field 192.0.2.1'),
 (7,'dbd-s1-init','DBD from S1 (ExStart): flags I|M|MS, no LSA headers (S1 becomes master: higher router ID)'),
 (13,'dbd-r1-init','DBD from R1 (ExStart): flags I|M|MS, no LSA headers'),
 (33,'dbd-r1-headers','DBD from R1 as slave (Exchange): flags none, echoes master seq, 10 LSA headers'),
 (35,'dbd-s1-headers','DBD from S1 as master (Exchange): flags MS, 3 LSA headers'),
 (38,'dbd-r1-last','last DBD from R1 as slave: flags none, no LSA headers'),
 (34,'lsreq-s1','LSReq from S1 to R1: 10 requests'),
 (37,'lsreq-r1','LSReq from R1 to S1: 3 requests (Link, Router, Intra-Area-Prefix of S1)'),
 (29,'lsupdate-r1-initial','LSUpdate from R1 answering S2\'s LSReq, flooded to AllSPFRouters: Link, Router (no transit link yet), 2 Inter-Area-Prefix, Inter-Area-Router, Intra-Area-Prefix, 4 AS-External (3 own, 1 from R2)'),
 (46,'lsupdate-r1-dr','LSUpdate from R1 after becoming DR: Router (transit link, B and E bits), Network, 2 Intra-Area-Prefix (one referencing the Router-LSA, one referencing the Network-LSA), 3 AS-External'),
 (42,'lsupdate-s1-reply','LSUpdate from S1 to R1 (unicast) answering R1\'s LSReq: Link, Router, Intra-Area-Prefix (anycast /128, metric 10)'),
 (43,'lsupdate-s1-alldrouters','LSUpdate from S1 to AllDRouters (DROther floods to ff02::6): new Router-LSA (transit link to the DR) and Intra-Area-Prefix'),
 (91,'lsupdate-s1-cost','LSUpdate from S1 after `ipv6 ospf6 cost 20` on its lo: one Intra-Area-Prefix-LSA, anycast /128 metric 20, seq 0x80000004'),
 (92,'lsupdate-r1-reflood','the same Intra-Area-Prefix-LSA re-flooded by R1 (DR) to AllSPFRouters'),
 (47,'lsack-s1-direct','LSAck from S1 to R1 (unicast, direct ack): 3 LSA headers'),
 (59,'lsack-s1-delayed','delayed LSAck from S1 to AllDRouters: 15 LSA headers'),
]
for n,name,what in files:
    ts,src,dst,hl,o=pk[n]
    rid=str(ipaddress.IPv4Address(o[4:8]))
    assert csum(src,dst,o), (n,'bad checksum')
    lines=[f'# {what}.',
           f'# sender: {names[rid]}, router ID {rid}',
           f'# src: {src}',
           f'# dst: {dst}',
           f'# hop-limit: {hl}',
           f'# capture: testdata/frr/capture.pcap frame {n} (t={ts-t0:.6f} s), FRR 8.4.4 ospf6d',
           f'# summary: {desc(o)}',
           f'# bytes: {len(o)}, OSPF packet only (from the OSPF header; no IPv6 header); checksum 0x{o[12:14].hex()} verified over the IPv6 pseudo-header']
    for i in range(0,len(o),16): lines.append(o[i:i+16].hex())
    open(out+name+'.hex','w').write('\n'.join(lines)+'\n')
    print(name, len(o))
