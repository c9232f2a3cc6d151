#!/bin/bash
# Captures OSPFv3 packets carrying an RFC 7166 authentication trailer between
# two FRR 8.4 ospf6d on one veth pair, for testdata/auth/frr-*.hex.
#
#   capture.sh OUT.pcap KEY [SECONDS]
#
# Router A (192.0.2.1, priority 10) and router B (192.0.2.11, priority 0, an
# anycast /128 on lo) both use
#   ipv6 ospf6 authentication key-id 1 hash-algo hmac-sha-256 key KEY
# tshark runs in A's namespace on eth0 from before the first Hello until
# SECONDS (default 12) after the adjacency is Full. Run as root; everything
# lives in namespaces acdauth-<pid>-a and acdauth-<pid>-b, removed on exit
# (also on failure).
set -euo pipefail
OUT=${1:?usage: capture.sh OUT.pcap KEY [SECONDS]}
KEY=${2:?usage: capture.sh OUT.pcap KEY [SECONDS]}
HOLD=${3:-12}
P=acdauth-$$
WORK=$(mktemp -d /tmp/$P.XXXXXX)
chmod 755 "$WORK"
NODES="a b"
TSHARK=

cleanup() {
	set +e
	for n in $NODES; do
		for d in ospf6d zebra; do
			f=$WORK/$n/$d.pid
			[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
		done
	done
	[ -n "$TSHARK" ] && kill "$TSHARK" 2>/dev/null
	sleep 1
	for n in $NODES; do
		for d in ospf6d zebra; do
			f=$WORK/$n/$d.pid
			[ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
		done
		ip netns del "$P-$n" 2>/dev/null
		rm -rf "/var/run/frr/$P-$n"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

for n in $NODES; do
	ip netns add "$P-$n"
	ip -n "$P-$n" link set lo up
done
ip -n "$P-a" link add eth0 type veth peer name eth0 netns "$P-b"
for n in $NODES; do
	ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
	ip -n "$P-$n" link set eth0 up
done
ip -n "$P-b" addr add 2001:db8:53::53/128 dev lo

mkdir -p "$WORK"/{a,b}
cat >"$WORK/a/frr.conf" <<C
hostname a
debug ospf6 authentication
interface eth0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 priority 10
 ipv6 ospf6 authentication key-id 1 hash-algo hmac-sha-256 key $KEY
router ospf6
 ospf6 router-id 192.0.2.1
C
cat >"$WORK/b/frr.conf" <<C
hostname b
debug ospf6 authentication
interface eth0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 priority 0
 ipv6 ospf6 authentication key-id 1 hash-algo hmac-sha-256 key $KEY
interface lo
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 passive
router ospf6
 ospf6 router-id 192.0.2.11
C
chown -R frr:frr "$WORK"
mkdir -m 700 "$WORK/cap" # root-owned: dumpcap cannot write into the frr-owned folder

ip netns exec "$P-a" tshark -q -i eth0 -f "ip6 proto 89" -F pcap -w "$WORK/cap/cap.pcap" 2>"$WORK/cap/tshark.log" &
TSHARK=$!
sleep 2

for n in $NODES; do
	ns=$P-$n
	install -d -o frr -g frr "/var/run/frr/$ns"
	for d in zebra ospf6d; do
		ip netns exec "$ns" /usr/lib/frr/$d -d -N "$ns" -f "$WORK/$n/frr.conf" -i "$WORK/$n/$d.pid" \
			--log file:"$WORK/$n/$d.log"
		[ $d = zebra ] && sleep 0.5
	done
done

full=
for i in $(seq 1 30); do
	sleep 1
	if vtysh -N "$P-a" -c 'show ipv6 ospf6 neighbor' 2>/dev/null | grep -q 'Full'; then
		full=$i
		break
	fi
done
vtysh -N "$P-a" -c 'show ipv6 ospf6 neighbor' 2>/dev/null
[ -n "$full" ] || { echo "no Full adjacency"; tail -20 "$WORK/a/ospf6d.log"; exit 1; }
echo "full after ~${full}s"
sleep "$HOLD"
vtysh -N "$P-a" -c 'show ipv6 ospf6 interface eth0' 2>/dev/null | grep -i -A3 auth || true
vtysh -N "$P-a" -c 'show ipv6 route 2001:db8:53::53/128' 2>/dev/null
for n in $NODES; do
	echo "link-local $n: $(ip -n "$P-$n" -6 addr show dev eth0 scope link | awk '/inet6/{print $2}')"
done
kill -INT "$TSHARK"
wait "$TSHARK" || true
TSHARK=
cp "$WORK/cap/cap.pcap" "$OUT"
ls -l "$OUT"
