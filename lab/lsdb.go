package lab

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/anycostd/anycostd/lsa"
)

// FRRLSA is one LSA of `show ipv6 ospf6 database TYPE detail` as the text
// shows it.
type FRRLSA struct {
	Type            string // as FRR names it: "Router", ..., "0xbff0" for a type it does not know
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
	typeRe = regexp.MustCompile(`(?m)^Age:\s*\d+\s+Type:\s*(\S+)`)
)

// LSAs returns the router's LSAs of one type (as vtysh names it, e.g.
// "intra-prefix"; "" for every type) from the detail view.
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
		if m := typeRe.FindStringSubmatch(block); m != nil {
			l.Type = m[1]
		}
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

// ServerLoad returns the server load LSA (lsa.ServerLoad) advRouter
// originated with Link State ID lsid, as the router holds it: FRR
// knows no such type, stores and floods it (U bit, area scope; RFC 5340
// 4.5.1) and its detail view shows the body in hex after "Unknown
// contents:". ok=false when the router holds none.
func (f *FRR) ServerLoad(lsid, advRouter string) (l FRRLSA, body *lsa.ServerLoad, ok bool, err error) {
	lsas, err := f.LSAs("")
	if err != nil {
		return FRRLSA{}, nil, false, err
	}
	typ := fmt.Sprintf("%#04x", uint16(lsa.TypeServerLoad))
	for _, l := range lsas {
		if l.Type != typ || l.LSID != lsid || l.AdvRouter != advRouter {
			continue
		}
		raw, err := unknownContents(l.Text)
		if err != nil {
			return l, nil, false, fmt.Errorf("router's LSA %s %s %s: %w", typ, lsid, advRouter, err)
		}
		b, err := lsa.ParseBody(lsa.TypeServerLoad, raw)
		if err != nil {
			return l, nil, false, fmt.Errorf("router's LSA %s %s %s: %w", typ, lsid, advRouter, err)
		}
		return l, b.(*lsa.ServerLoad), true, nil
	}
	return FRRLSA{}, nil, false, nil
}

// unknownContents returns the body bytes of an LSA of a type FRR does not
// know from its detail view: the lines of hex groups after "Unknown
// contents:".
func unknownContents(text string) ([]byte, error) {
	_, rest, found := strings.Cut(text, "Unknown contents:")
	if !found {
		return nil, fmt.Errorf("no \"Unknown contents:\" in the detail view:\n%s", text)
	}
	var digits strings.Builder
	for _, line := range strings.Split(rest, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			if digits.Len() > 0 {
				break // the blank line after the contents
			}
			continue
		}
		hexLine := strings.ReplaceAll(line, " ", "")
		if _, err := hex.DecodeString(hexLine); err != nil {
			break
		}
		digits.WriteString(hexLine)
	}
	return hex.DecodeString(digits.String())
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
