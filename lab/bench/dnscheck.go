package main

import (
	"fmt"
	"os"
	"time"

	"github.com/miekg/dns"
)

// dnscheck is the health check of the scripted alternatives, run as
// `bench dnscheck ADDR:PORT TIMEOUT`: one UDP query for example.org. SOA;
// exit status 0 when the answer has rcode NOERROR and an answer record.
// It stands in for `dig +time=1 +tries=1 @::1 example.org SOA`, which
// Debian does not install by default.
func dnscheck(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bench dnscheck ADDR:PORT TIMEOUT")
		return 2
	}
	timeout, err := time.ParseDuration(args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "dnscheck: timeout %q: %v\n", args[1], err)
		return 2
	}
	c := dns.Client{Net: "udp", Timeout: timeout}
	m := new(dns.Msg)
	m.SetQuestion("example.org.", dns.TypeSOA)
	r, _, err := c.Exchange(m, args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "dnscheck: %v\n", err)
		return 1
	}
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
		fmt.Fprintf(os.Stderr, "dnscheck: rcode %s, %d answers\n", dns.RcodeToString[r.Rcode], len(r.Answer))
		return 1
	}
	return 0
}
