package lab

// UDPCounter is a shell command that prints the UDP datagrams that
// reached the network namespace it runs in so far, those its sockets'
// full buffers dropped included (Udp6InDatagrams + Udp6RcvbufErrors of
// /proc/net/snmp6): a counter for [service.external] full_rate. In the
// lab each server has a namespace of its own and serves DNS alone, so it
// counts the queries the server was sent, and the datagrams of its own
// DNS probe (the query and its answer, both on lo). NSD's own counter
// (num.queries of nsd-control stats_noreset) moves in steps about 5 s
// apart (measured here, NSD 4.6.1: 610, 610, 610, 610, 1203 at
// one-second reads), too coarse for a one-second rate.
const UDPCounter = `awk '$1 == "Udp6InDatagrams" || $1 == "Udp6RcvbufErrors" { n += $2 } END { print n }' /proc/net/snmp6`
