#!/bin/bash
# Reproduces testdata/frr/capture.pcap: one bridged IPv6 link with an FRR
# router R1 (DR, ABR, ASBR), two FRR "servers" S1 and S2 (priority 0, anycast
# /128 on lo) and, behind R1 in area 0.0.0.1, an FRR router R2 (ASBR).
# Run as root on a machine with FRR 8.4 and tshark. Everything lives in
# namespaces named acdcap-<pid>-*, removed on exit.
set -euo pipefail
OUT=${1:-$(pwd)/capture.pcap}
P=acdcap-$$
BR=$P-br
WORK=$(mktemp -d /tmp/$P.XXXXXX)
chmod 755 "$WORK"
NODES="r1 r2 s1 s2"

cleanup() {
	set +e
	for n in $NODES; do
		for d in ospf6d staticd zebra; do
			f=$WORK/$n/$d.pid
			[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
		done
	done
	[ -n "${TSHARK:-}" ] && kill "$TSHARK" 2>/dev/null
	sleep 1
	for n in $NODES; do
		for d in ospf6d staticd zebra; do
			f=$WORK/$n/$d.pid
			[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
		done
		ip netns del "$P-$n" 2>/dev/null
		rm -rf "/var/run/frr/$P-$n"
	done
	ip netns del "$BR" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$BR"
ip -n "$BR" link set lo up
ip -n "$BR" link add br0 type bridge
ip -n "$BR" link set br0 up
for n in $NODES; do
	ip netns add "$P-$n"
	ip -n "$P-$n" link set lo up
	ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.forwarding=1
done
# hosts on the bridge
for n in r1 s1 s2; do
	ip link add "$P-$n" type veth peer name eth0 netns "$P-$n"
	ip link set "$P-$n" netns "$BR"
	ip -n "$BR" link set "$P-$n" master br0 up
	ip -n "$P-$n" link set eth0 up
done
ip -n "$P-r1" addr add 2001:db8:1::1/64 dev eth0
ip -n "$P-s1" addr add 2001:db8:1::11/64 dev eth0
ip -n "$P-s2" addr add 2001:db8:1::12/64 dev eth0
ip -n "$P-s1" addr add 2001:db8:53::53/128 dev lo
ip -n "$P-s2" addr add 2001:db8:53::53/128 dev lo
# R1 <-> R2 point-to-point (area 0.0.0.1)
ip -n "$P-r1" link add eth1 type veth peer name eth0 netns "$P-r2"
ip -n "$P-r1" link set eth1 up
ip -n "$P-r2" link set eth0 up
ip -n "$P-r1" addr add 2001:db8:2::1/64 dev eth1
ip -n "$P-r2" addr add 2001:db8:2::2/64 dev eth0
ip -n "$P-r2" addr add 2001:db8:2:2::2/128 dev lo

mkdir -p "$WORK"/{r1,r2,s1,s2}
cat >"$WORK/r1/frr.conf" <<'C'
hostname r1
ipv6 route 2001:db8:ff01::/48 blackhole
ipv6 route 2001:db8:ff01:1::/64 blackhole
ipv6 route 2001:db8:ff01:2::/64 blackhole
interface eth0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 priority 10
interface eth1
 ipv6 ospf6 area 0.0.0.1
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 network point-to-point
router ospf6
 ospf6 router-id 192.0.2.1
 maximum-paths 64
 redistribute static
C
cat >"$WORK/r2/frr.conf" <<'C'
hostname r2
ipv6 route 2001:db8:ff02::/48 blackhole
interface eth0
 ipv6 ospf6 area 0.0.0.1
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 network point-to-point
interface lo
 ipv6 ospf6 area 0.0.0.1
 ipv6 ospf6 passive
router ospf6
 ospf6 router-id 192.0.2.2
 redistribute static
C
for i in 1 2; do
	cat >"$WORK/s$i/frr.conf" <<C
hostname s$i
interface eth0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 priority 0
interface lo
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 passive
router ospf6
 ospf6 router-id 192.0.2.1$i
C
done
chown -R frr:frr "$WORK"
mkdir -m 700 "$WORK/cap" # root-owned: dumpcap cannot write into the frr-owned folder

# capture on the bridge from before the first hello
ip netns exec "$BR" tshark -q -i br0 -f "ip6 proto 89" -F pcap -w "$WORK/cap/cap.pcap" 2>"$WORK/cap/tshark.log" &
TSHARK=$!
sleep 2

for n in $NODES; do
	ns=$P-$n
	install -d -o frr -g frr "/var/run/frr/$ns"
	for d in zebra staticd ospf6d; do
		ip netns exec "$ns" /usr/lib/frr/$d -d -N "$ns" -P 0 -f "$WORK/$n/frr.conf" -i "$WORK/$n/$d.pid" \
			--log file:"$WORK/$n/$d.log"
		[ $d = zebra ] && sleep 0.5
	done
done

for i in $(seq 1 30); do
	sleep 1
	if vtysh -N "$P-r1" -c 'show ipv6 route 2001:db8:53::53/128' 2>/dev/null | grep -c 'fe80.*via eth0' | grep -q 2 &&
		[ "$(vtysh -N "$P-r1" -c 'show ipv6 ospf6 neighbor' 2>/dev/null | grep -c Full)" -ge 3 ]; then
		echo "full after ~${i}s"
		break
	fi
done
vtysh -N "$P-r1" -c 'show ipv6 ospf6 neighbor' 2>/dev/null
sleep 5
echo "cost change: S1 lo cost 20"
vtysh -N "$P-s1" -c 'configure terminal' -c 'interface lo' -c 'ipv6 ospf6 cost 20' 2>/dev/null
sleep 6
vtysh -N "$P-r1" -c 'show ipv6 ospf6 database' 2>/dev/null
vtysh -N "$P-r1" -c 'show ipv6 route 2001:db8:53::53/128' 2>/dev/null
ip -n "$P-r1" -6 route show 2001:db8:53::53
sleep 1
kill -INT "$TSHARK"; wait "$TSHARK" || true
TSHARK=
cp "$WORK/cap/cap.pcap" "$OUT"
ls -l "$OUT"
