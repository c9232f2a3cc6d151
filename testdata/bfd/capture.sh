#!/bin/bash
# Reproduces testdata/bfd/capture.pcap: one bridged IPv6 link with an FRR
# 8.4.4 router R1 (zebra + bfdd, profile 50 ms x 3 towards both servers), an
# FRR "server" S1 (zebra + bfdd, 100 ms x 3) and a BIRD 2.0.12 "server" S2
# (protocol bfd, 100 ms x 3), all single-hop IPv6 link-local sessions
# (RFC 5881). Fixed MAC addresses give fixed link-local addresses:
# R1 fe80::ff:fe00:1, S1 fe80::ff:fe00:11, S2 fe80::ff:fe00:12.
# The script walks the sessions through: three-way handshake and the Poll
# Sequences to the fast timers; R1's profile changed to 200 ms (Poll/Final);
# S1's peer shut down (AdminDown) and enabled again; BIRD on S2 stopped
# (R1's detection time expires).
# Run as root on a machine with FRR 8.4, BIRD 2 and tshark. Everything lives
# in namespaces named acdbfd-<pid>-*, removed on exit.
set -euo pipefail
OUT=${1:-$(pwd)/capture.pcap}
P=acdbfd-$$
BR=$P-br
WORK=$(mktemp -d /tmp/$P.XXXXXX)
chmod 755 "$WORK"
NODES="r1 s1 s2"

cleanup() {
	set +e
	for n in r1 s1; do
		for d in bfdd zebra; do
			f=$WORK/$n/$d.pid
			[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
		done
	done
	[ -n "${BIRD:-}" ] && kill "$BIRD" 2>/dev/null
	[ -n "${TSHARK:-}" ] && kill "$TSHARK" 2>/dev/null
	sleep 1
	for n in $NODES; do
		ip netns pids "$P-$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$P-$n" 2>/dev/null
		rm -rf "/var/run/frr/$P-$n"
	done
	ip netns del "$BR" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$BR"
ip -n "$BR" link set lo up
ip -n "$BR" link add br0 type bridge mcast_snooping 0 stp_state 0
ip -n "$BR" link set br0 up
declare -A MAC=([r1]=02:00:00:00:00:01 [s1]=02:00:00:00:00:11 [s2]=02:00:00:00:00:12)
for n in $NODES; do
	ip netns add "$P-$n"
	ip -n "$P-$n" link set lo up
	ip link add "$P-$n" type veth peer name eth0 netns "$P-$n"
	ip link set "$P-$n" netns "$BR"
	ip -n "$BR" link set "$P-$n" master br0 up
	ip -n "$P-$n" link set eth0 address "${MAC[$n]}"
	ip -n "$P-$n" link set eth0 up
done
R1=fe80::ff:fe00:1
S1=fe80::ff:fe00:11
S2=fe80::ff:fe00:12
sleep 3 # DAD

mkdir -p "$WORK"/{r1,s1,s2}
cat >"$WORK/r1/frr.conf" <<C
hostname r1
bfd
 profile fast
  transmit-interval 50
  receive-interval 50
  detect-multiplier 3
 !
 peer $S1 interface eth0
  profile fast
 !
 peer $S2 interface eth0
  profile fast
 !
!
C
cat >"$WORK/s1/frr.conf" <<C
hostname s1
bfd
 peer $R1 interface eth0
  transmit-interval 100
  receive-interval 100
  detect-multiplier 3
 !
!
C
cat >"$WORK/s2/bird.conf" <<C
router id 192.0.2.12;
protocol device { }
protocol bfd {
	interface "eth0" { interval 100 ms; multiplier 3; };
	neighbor $R1 dev "eth0";
}
C
chown -R frr:frr "$WORK/r1" "$WORK/s1"
mkdir -m 700 "$WORK/cap" # root-owned: dumpcap cannot write into frr-owned folders

ip netns exec "$BR" tshark -q -i br0 -f "udp port 3784" -F pcap -w "$WORK/cap/cap.pcap" 2>"$WORK/cap/tshark.log" &
TSHARK=$!
sleep 2

for n in r1 s1; do
	ns=$P-$n
	install -d -o frr -g frr "/var/run/frr/$ns"
	for d in zebra bfdd; do
		ip netns exec "$ns" /usr/lib/frr/$d -d -N "$ns" -P 0 -f "$WORK/$n/frr.conf" -i "$WORK/$n/$d.pid" \
			--log file:"$WORK/$n/$d.log"
		[ $d = zebra ] && sleep 0.5
	done
done
ip netns exec "$P-s2" bird -f -c "$WORK/s2/bird.conf" -s "$WORK/s2/bird.ctl" >"$WORK/s2/bird.log" 2>&1 &
BIRD=$!

r1() { vtysh -N "$P-r1" "$@" 2>/dev/null; }
s1() { vtysh -N "$P-s1" "$@" 2>/dev/null; }
for i in $(seq 1 30); do
	sleep 1
	if [ "$(r1 -c 'show bfd peers json' | grep -o '"status":"up"' | wc -l)" -ge 2 ]; then
		echo "both sessions up after ~${i}s"
		break
	fi
done
r1 -c 'show bfd peers'
sleep 2
echo "R1: profile fast to 200 ms"
r1 -c 'configure terminal' -c 'bfd' -c 'profile fast' -c 'transmit-interval 200' -c 'receive-interval 200'
sleep 2
echo "S1: peer shutdown"
s1 -c 'configure terminal' -c 'bfd' -c "peer $R1 interface eth0" -c 'shutdown'
sleep 2
echo "S1: peer no shutdown"
s1 -c 'configure terminal' -c 'bfd' -c "peer $R1 interface eth0" -c 'no shutdown'
sleep 3
echo "S2: BIRD stopped"
kill "$BIRD"; wait "$BIRD" || true
BIRD=
sleep 3
r1 -c 'show bfd peers'
kill -INT "$TSHARK"; wait "$TSHARK" || true
TSHARK=
cp "$WORK/cap/cap.pcap" "$OUT"
ls -l "$OUT"
