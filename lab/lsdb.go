package lab

import (
	"fmt"
	"regexp"
	"strconv"
)

// FRRLSA is one LSA of `show ipv6 ospf6 database TYPE detail` as the text
// shows it.
type FRRLSA struct {
	LSID, AdvRouter string
	Seq             uint32
	Age             int
	Text            string // the whole block
}

var (
	lsidRe = regexp.MustCompile(`Link State ID: (\S+)`)
	advRe  = regexp.MustCompile(`Advertising Router: (\S+)`)
	seqRe  = regexp.MustCompile(`Sequence Number: 0x([0-9a-fA-F]{8})`)
	ageRe  = regexp.MustCompile(`(?m)^Age:\s*(\d+)`)
)

// LSAs returns the router's LSAs of one type (as vtysh names it, e.g.
// "intra-prefix") from the detail view.
func (f *FRR) LSAs(typ string) ([]FRRLSA, error) {
	out, err := f.Vtysh(fmt.Sprintf("show ipv6 ospf6 database %s detail", typ))
	if err != nil {
		return nil, err
	}
	var lsas []FRRLSA
	starts := ageRe.FindAllStringIndex(out, -1)
	for i, st := range starts {
		end := len(out)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		block := out[st[0]:end]
		l := FRRLSA{Text: block}
		if m := lsidRe.FindStringSubmatch(block); m != nil {
			l.LSID = m[1]
		}
		if m := advRe.FindStringSubmatch(block); m != nil {
			l.AdvRouter = m[1]
		}
		if m := seqRe.FindStringSubmatch(block); m != nil {
			v, _ := strconv.ParseUint(m[1], 16, 32)
			l.Seq = uint32(v)
		}
		if m := ageRe.FindStringSubmatch(block); m != nil {
			l.Age, _ = strconv.Atoi(m[1])
		}
		lsas = append(lsas, l)
	}
	return lsas, nil
}

// LSA returns the router's LSA of the type with the LSID and advertising
// router, ok=false when it holds none.
func (f *FRR) LSA(typ, lsid, advRouter string) (FRRLSA, bool, error) {
	lsas, err := f.LSAs(typ)
	if err != nil {
		return FRRLSA{}, false, err
	}
	for _, l := range lsas {
		if l.LSID == lsid && l.AdvRouter == advRouter {
			return l, true, nil
		}
	}
	return FRRLSA{}, false, nil
}

// NeighborState returns the state (e.g. "Full", "Init") in which the
// router sees the neighbor with router ID rid, or "" when it is not listed.
func (f *FRR) NeighborState(rid string) (string, error) {
	out, err := f.Vtysh("show ipv6 ospf6 neighbor")
	if err != nil {
		return "", err
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(rid) + `\s+\d+\s+\S+\s+([A-Za-z0-9-]+)/`)
	if m := re.FindStringSubmatch(out); m != nil {
		return m[1], nil
	}
	return "", nil
}
