package lab

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// birdBFDSessionsOut is BIRD 2.0.12's `birdc show bfd sessions` (banner
// removed) in TestBFDBIRD, with the speaker Up at 50 ms x 3.
const birdBFDSessionsOut = "bfd1:\n" +
	"IP address                Interface  State      Since         Interval  Timeout\n" +
	"fe80::f8fb:13ff:fe10:3c13 eth0       Up         22:54:33.080    0.050    0.150\n"

func TestParseBIRDBFDSessions(t *testing.T) {
	got := parseBIRDBFDSessions(birdBFDSessionsOut)
	want := []BIRDBFDSession{{Peer: "fe80::f8fb:13ff:fe10:3c13", Interface: "eth0", State: "Up", Interval: "0.050", Timeout: "0.150"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sessions (-want +got):\n%s", d)
	}
	if got := parseBIRDBFDSessions("bfd1:\nIP address                Interface  State      Since         Interval  Timeout\n"); len(got) != 0 {
		t.Errorf("no sessions: got %+v", got)
	}
}
