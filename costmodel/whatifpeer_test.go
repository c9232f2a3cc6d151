package costmodel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseWhatIfPeers(t *testing.T) {
	const r12, r13, r14 = RouterID(0xc000020c), RouterID(0xc000020d), RouterID(0xc000020e)
	for _, tc := range []struct {
		in   []string
		want []Peer
	}{
		{nil, nil},
		{[]string{"192.0.2.12=10"}, []Peer{{RouterID: r12, Metric: 10}}},
		{[]string{"192.0.2.12=10,load=0.5,capacity=2", "192.0.2.13=withdrawn,load=0,state=drained"}, []Peer{
			{RouterID: r12, Metric: 10, LoadKnown: true, Load: 0.5, Capacity: 2, State: PeerAdvertised},
			{RouterID: r13, Withdrawn: true, LoadKnown: true, Capacity: 1, State: PeerDrained},
		}},
		// As a repeated flag splits them at the commas.
		{[]string{"192.0.2.12=20", "load=0.9", "192.0.2.13=withdrawn", "load=0.1", "192.0.2.14=10"}, []Peer{
			{RouterID: r12, Metric: 20, LoadKnown: true, Load: 0.9, Capacity: 1, State: PeerAdvertised},
			{RouterID: r13, Withdrawn: true, LoadKnown: true, Load: 0.1, Capacity: 1, State: PeerWithdrawn},
			{RouterID: r14, Metric: 10},
		}},
	} {
		got, err := ParseWhatIfPeers(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in, diff)
		}
	}
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"load=0.5"}, `"load=0.5": a peer starts with its router ID`},
		{[]string{"192.0.2.12"}, `"192.0.2.12": want ROUTER_ID=METRIC`},
		{[]string{"192.0.2.12=0"}, "192.0.2.12=0: want a metric 1..65535 or withdrawn"},
		{[]string{"192.0.2.12=10.5"}, "192.0.2.12=10.5: want a metric 1..65535 or withdrawn"},
		{[]string{"192.0.2.12=10", "192.0.2.12=20"}, "192.0.2.12: peer given twice"},
		{[]string{"192.0.2.12=10,load=3"}, "peer 192.0.2.12: load=3: want a number in 0..2"},
		{[]string{"192.0.2.12=10,load=0.5,load=0.6"}, "peer 192.0.2.12: load given twice"},
		{[]string{"192.0.2.12=10,capacity=0,load=1"}, "peer 192.0.2.12: capacity=0: want a number above 0"},
		{[]string{"192.0.2.12=10,capacity=2"}, "peer 192.0.2.12: capacity and state come with load"},
		{[]string{"192.0.2.12=10,load=0.5,state=drained"}, "peer 192.0.2.12: state drained with metric 10"},
		{[]string{"192.0.2.12=10,load=0.5,state=unknown"}, "peer 192.0.2.12: state=unknown: want advertised, withdrawn or drained"},
		{[]string{"192.0.2.12=10,weight=3"}, "peer 192.0.2.12: weight: unknown key"},
	} {
		_, err := ParseWhatIfPeers(tc.in)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one starting %q", tc.in, err, tc.want)
		}
	}
}
