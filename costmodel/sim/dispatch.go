package sim

// pick returns the server for the next query, or -1 for none.
func (s *sim) pick() int {
	n := len(s.servers)
	switch s.cfg.Policy {
	case RoundRobin:
		i := s.rr
		s.rr = (s.rr + 1) % n
		return i
	case Random:
		return s.dispatch.IntN(n)
	case LeastConn:
		return s.argmin(func(i int) int { return inSystem(s.servers[i]) })
	case PowerOfTwo:
		if n == 1 {
			return 0
		}
		a := s.dispatch.IntN(n)
		b := s.dispatch.IntN(n - 1)
		if b >= a {
			b++
		}
		qa, qb := inSystem(s.servers[a]), inSystem(s.servers[b])
		switch {
		case qa < qb:
			return a
		case qb < qa:
			return b
		case s.dispatch.IntN(2) == 0:
			return a
		}
		return b
	case Cheapest:
		return s.argmin(func(i int) int { return s.board[i] })
	case Anycostd:
		if len(s.eligible) == 0 {
			return -1
		}
		return s.eligible[s.dispatch.IntN(len(s.eligible))]
	case AnycostdRouter:
		return s.routerPick()
	}
	return -1
}

// argmin returns the server with the smallest key, ties broken uniformly at
// random (reservoir sampling over the tied servers).
func (s *sim) argmin(key func(int) int) int {
	best, bestKey, ties := 0, key(0), 1
	for i := 1; i < len(s.servers); i++ {
		k := key(i)
		switch {
		case k < bestKey:
			best, bestKey, ties = i, k, 1
		case k == bestKey:
			ties++
			if s.dispatch.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return best
}
