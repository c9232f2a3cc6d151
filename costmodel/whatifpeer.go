package costmodel

import (
	"fmt"
	"strings"
)

// WhatIfPeerSyntax is the form of one peer of a what-if run, for help.
const WhatIfPeerSyntax = "ROUTER_ID=METRIC|withdrawn[,load=L[,capacity=C][,state=advertised|withdrawn|drained]]"

// ParseWhatIfPeers reads the peers of a what-if run (`anycostd cost
// what-if --peer`), each of the form WhatIfPeerSyntax: the peer's router
// ID and the metric its Intra-Area-Prefix-LSA carries (or withdrawn: none
// carries the prefix), then, as its server load LSA would say, its load
// figure, its capacity (default 1) and its state (default advertised, or
// withdrawn for a withdrawn peer). A peer without load is an older
// anycostd: its metric alone is known. Items may come split at the commas
// (as a repeated flag hands them): an item that does not start with a
// router ID belongs to the peer before it. Errors name the item at fault.
func ParseWhatIfPeers(list []string) ([]Peer, error) {
	var (
		out  []Peer
		seen = map[RouterID]bool{}
		// set says which of load, capacity and state the current peer has.
		set map[string]bool
	)
	for _, arg := range list {
		for _, item := range strings.Split(arg, ",") {
			item = strings.TrimSpace(item)
			key, v, ok := strings.Cut(item, "=")
			if !ok || key == "" || v == "" {
				return nil, fmt.Errorf("%q: want %s", item, WhatIfPeerSyntax)
			}
			if id, err := ParseRouterID(key); err == nil {
				if len(out) > 0 {
					if err := out[len(out)-1].finishWhatIf(set); err != nil {
						return nil, err
					}
				}
				if seen[id] {
					return nil, fmt.Errorf("%s: peer given twice", key)
				}
				seen[id] = true
				p := Peer{RouterID: id}
				if v == "withdrawn" {
					p.Withdrawn = true
				} else {
					m, err := number(key, v, 1, 65535)
					if err != nil || *m != float64(uint16(*m)) {
						return nil, fmt.Errorf("%s=%s: want a metric 1..65535 or withdrawn", key, v)
					}
					p.Metric = uint16(*m)
				}
				out = append(out, p)
				set = map[string]bool{}
				continue
			}
			if len(out) == 0 {
				return nil, fmt.Errorf("%q: a peer starts with its router ID (%s)", item, WhatIfPeerSyntax)
			}
			p := &out[len(out)-1]
			if set[key] {
				return nil, fmt.Errorf("peer %s: %s given twice", p.RouterID, key)
			}
			set[key] = true
			if err := p.setWhatIf(key, v); err != nil {
				return nil, fmt.Errorf("peer %s: %w", p.RouterID, err)
			}
		}
	}
	if len(out) > 0 {
		if err := out[len(out)-1].finishWhatIf(set); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// setWhatIf sets one key of a what-if peer.
func (p *Peer) setWhatIf(key, v string) error {
	switch key {
	case "load":
		f, err := number(key, v, 0, MaxLoad)
		if err != nil {
			return err
		}
		p.LoadKnown, p.Load = true, *f
	case "capacity":
		f, err := number(key, v, 0, MaxCapacity)
		if err != nil || *f == 0 {
			return fmt.Errorf("capacity=%s: want a number above 0 and at most %g", v, float64(MaxCapacity))
		}
		p.Capacity = *f
	case "state":
		if err := p.State.UnmarshalText([]byte(v)); err != nil || p.State == PeerStateUnknown {
			return fmt.Errorf("state=%s: want advertised, withdrawn or drained", v)
		}
	default:
		return fmt.Errorf("%s: unknown key (known: load, capacity, state)", key)
	}
	return nil
}

// finishWhatIf checks a what-if peer once its keys are read and fills in
// the defaults.
func (p *Peer) finishWhatIf(set map[string]bool) error {
	if !p.LoadKnown {
		if set["capacity"] || set["state"] {
			return fmt.Errorf("peer %s: capacity and state come with load (a peer without load publishes none)", p.RouterID)
		}
		return nil
	}
	if !set["capacity"] {
		p.Capacity = 1
	}
	if !set["state"] {
		p.State = PeerAdvertised
		if p.Withdrawn {
			p.State = PeerWithdrawn
		}
	}
	if !p.Withdrawn && p.State != PeerAdvertised {
		return fmt.Errorf("peer %s: state %s with metric %d: a %s peer advertises nothing (write %s=withdrawn)", p.RouterID, p.State, p.Metric, p.State, p.RouterID)
	}
	return nil
}
