package bfd

import "time"

// sessionQueue is a min-heap (container/heap) of sessions by their next
// deadline, ties broken by peer; sessions with no deadline sort last.
type sessionQueue []*session

func (q sessionQueue) Len() int { return len(q) }

func (q sessionQueue) Less(i, j int) bool {
	a, b := q[i], q[j]
	switch {
	case a.due.Equal(b.due):
		return a.peer.Less(b.peer)
	case a.due.IsZero():
		return false
	case b.due.IsZero():
		return true
	}
	return a.due.Before(b.due)
}

func (q sessionQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}

func (q *sessionQueue) Push(x any) {
	s := x.(*session)
	s.index = len(*q)
	*q = append(*q, s)
}

func (q *sessionQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	s.index = -1
	return s
}

// deadline is the earliest of s's timers; zero when none is armed.
func (s *session) deadline() time.Time {
	var d time.Time
	for _, t := range []time.Time{s.txAt, s.detectAt, s.lingerDeadline()} {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}

// lingerDeadline is when a session being removed ends (zero otherwise).
func (s *session) lingerDeadline() time.Time {
	if s.removing {
		return s.lingerUntil
	}
	return time.Time{}
}
