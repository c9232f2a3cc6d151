package lab

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// FRRDBEntry is one LSA of `show ipv6 ospf6 database json`.
type FRRDBEntry struct {
	Scope     string // "link", "area" or "as"
	Type      string // FRR's short name: Rtr, Net, INP, Lnk, ...
	LSID      string
	AdvRouter string
	Age       int
	Seq       uint32
}

// frrDBJSON is the part of `show ipv6 ospf6 database json` Database reads.
// FRR lists an LSA once per line of its payload (each attached router,
// each prefix), so entries repeat.
type frrDBJSON struct {
	Area []struct {
		LSA []frrDBLSA `json:"lsa"`
	} `json:"areaScopedLinkStateDb"`
	Link []struct {
		Interface string     `json:"interface"`
		LSA       []frrDBLSA `json:"lsa"`
	} `json:"interfaceScopedLinkStateDb"`
	AS []struct {
		LSA []frrDBLSA `json:"lsa"`
	} `json:"asScopedLinkStateDb"`
}

type frrDBLSA struct {
	Type      string `json:"type"`
	LSID      string `json:"lsId"`
	AdvRouter string `json:"advRouter"`
	Age       int    `json:"age"`
	Seq       uint32 `json:"seqNum"`
}

// Database returns the router's LSDB from `show ipv6 ospf6 database json`,
// each LSA once, link-scoped ones of every interface.
func (f *FRR) Database() ([]FRRDBEntry, error) {
	out, err := f.Vtysh("show ipv6 ospf6 database json")
	if err != nil {
		return nil, err
	}
	var db frrDBJSON
	if err := json.Unmarshal([]byte(out), &db); err != nil {
		return nil, fmt.Errorf("parsing show ipv6 ospf6 database json: %w", err)
	}
	var es []FRRDBEntry
	seen := map[FRRDBEntry]bool{}
	add := func(scope string, ls []frrDBLSA) {
		for _, l := range ls {
			e := FRRDBEntry{Scope: scope, Type: l.Type, LSID: l.LSID, AdvRouter: l.AdvRouter, Age: l.Age, Seq: l.Seq}
			if !seen[e] {
				seen[e] = true
				es = append(es, e)
			}
		}
	}
	for _, a := range db.Area {
		add("area", a.LSA)
	}
	for _, l := range db.Link {
		add("link", l.LSA)
	}
	for _, a := range db.AS {
		add("as", a.LSA)
	}
	return es, nil
}

var drLine = regexp.MustCompile(`(?m)^\s*DR: (\S+) BDR: (\S+)`)

// DR returns the DR and BDR the router sees on ifname, from `show ipv6
// ospf6 interface IFNAME` ("0.0.0.0" for none).
func (f *FRR) DR(ifname string) (dr, bdr string, err error) {
	out, err := f.Vtysh("show ipv6 ospf6 interface " + ifname)
	if err != nil {
		return "", "", err
	}
	m := drLine.FindStringSubmatch(out)
	if m == nil {
		return "", "", fmt.Errorf("show ipv6 ospf6 interface %s: no DR line in %q", ifname, out)
	}
	return m[1], m[2], nil
}
