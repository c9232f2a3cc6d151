package lab

import (
	"testing"
	"time"
)

// unanswered pairs each answer with the latest query of its port and ID:
// a query whose ID was reused before an answer came, and a query never
// answered, are lost; an answer after the timeout makes its query late.
func TestUnanswered(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 19, 0, 0, 0, time.UTC)
	q := func(ms, port, id int) frame {
		return frame{at: t0.Add(time.Duration(ms) * time.Millisecond), sport: port, dport: 53, id: id}
	}
	a := func(ms, port, id int) frame {
		return frame{at: t0.Add(time.Duration(ms) * time.Millisecond), sport: 53, dport: port, id: id, response: true}
	}
	icmp := frame{at: t0.Add(5 * time.Millisecond), sport: 1000, dport: 53, id: 2, icmpType: "1", icmpCo: "0"}
	fs := []frame{
		q(0, 1000, 1), a(1, 1000, 1), // answered
		q(2, 1000, 2), icmp, // never answered: the router had no route
		q(3, 1001, 7), q(4000, 1001, 7), a(4001, 1001, 7), // ID reused: the first is lost
		q(10, 1002, 9), a(2510, 1002, 9), // answered after 2.5 s: late
		a(20, 1003, 4), // an answer to nothing seen
	}
	lost, late, queries := unanswered(fs, 2*time.Second)
	if queries != 5 {
		t.Errorf("queries = %d, want 5", queries)
	}
	keys := map[flowKey]bool{}
	for _, f := range lost {
		keys[f.key()] = true
	}
	if len(lost) != 2 || !keys[flowKey{1000, 2}] || !keys[flowKey{1001, 7}] {
		t.Errorf("lost = %v, want port 1000 id 2 and port 1001 id 7", lost)
	}
	if len(late) != 1 || late[0].key() != (flowKey{1002, 9}) {
		t.Errorf("late = %v, want port 1002 id 9", late)
	}
}
