package lab

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Summary is one Inter-Area-Prefix-LSA (RFC 5340 4.4.3.4) in an FRR
// router's database.
type Summary struct {
	Area      string
	LSID      string
	AdvRouter string
	Age       int
	Seq       uint32
	Metric    int
	Prefix    netip.Prefix
}

// MaxAged reports whether the summary is being flushed (age MaxAge).
func (s Summary) MaxAged() bool { return s.Age >= 3600 }

func (s Summary) String() string {
	return fmt.Sprintf("%s/%s %s seq %#x age %d metric %d", s.AdvRouter, s.LSID, s.Prefix, s.Seq, s.Age, s.Metric)
}

// Summaries lists the Inter-Area-Prefix-LSAs for p in the router's
// database, from `show ipv6 ospf6 database inter-prefix detail json`,
// sorted by area, advertising router and LSID.
func (f *FRR) Summaries(p netip.Prefix) ([]Summary, error) {
	out, err := f.Vtysh("show ipv6 ospf6 database inter-prefix detail json")
	if err != nil {
		return nil, err
	}
	var db struct {
		Area []struct {
			AreaID string `json:"areaId"`
			LSA    []struct {
				LSID      string `json:"linkStateId"`
				AdvRouter string `json:"advertisingRouter"`
				Age       int    `json:"age"`
				Seq       uint32 `json:"lsSequenceNumber"`
				Metric    int    `json:"metric"`
				Prefix    string `json:"prefix"`
			} `json:"lsa"`
		} `json:"areaScopedLinkStateDb"`
	}
	if err := json.Unmarshal([]byte(out), &db); err != nil {
		return nil, fmt.Errorf("parsing show ipv6 ospf6 database inter-prefix detail json: %w", err)
	}
	var ss []Summary
	for _, a := range db.Area {
		for _, l := range a.LSA {
			pp, err := netip.ParsePrefix(l.Prefix)
			if err != nil {
				return nil, fmt.Errorf("inter-prefix LSA %s/%s: prefix %q: %w", l.AdvRouter, l.LSID, l.Prefix, err)
			}
			if pp != p {
				continue
			}
			ss = append(ss, Summary{Area: a.AreaID, LSID: l.LSID, AdvRouter: l.AdvRouter, Age: l.Age, Seq: l.Seq, Metric: l.Metric, Prefix: pp})
		}
	}
	slices.SortFunc(ss, func(a, b Summary) int {
		return strings.Compare(a.Area+" "+a.AdvRouter+" "+a.LSID, b.Area+" "+b.AdvRouter+" "+b.LSID)
	})
	return ss, nil
}
