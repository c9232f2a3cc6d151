// Package sim is a deterministic discrete-event simulator of a farm of
// servers behind one router, used to compare anycostd's cost model with the
// usual ways of spreading load.
//
// # Model
//
// Queries arrive as a Poisson process at Load × the farm's total capacity.
// Each has an exponential amount of work; server i serves it at rate
// Capacity[i] × BaseRate / Workers[i] per worker, so a server's capacity is
// its throughput with every worker busy. Each server is a FIFO queue with
// Workers[i] workers and room for Buffer waiting queries (its socket receive
// queue): a query that finds the buffer full is dropped, and the receive
// queue fill the cost model sees is waiting queries / Buffer. The response
// time of a query is its waiting plus its service time.
//
// # Policies
//
// The router sends each query to one server by a Policy: round robin,
// uniform random (what ECMP over equal static metrics does with many flows),
// least connections with exact instant knowledge (an ideal balancer), the
// better of two distinct random servers (JSQ(2), the supermarket model),
// the server with the fewest queries on a bulletin board refreshed every
// ReportInterval (cheapest-only on stale information, Mitzenmacher's
// "periodic update" model), and Anycostd.
//
// Anycostd runs one real costmodel.Model per server, driven as the daemon
// drives it: a socket sample (receive-queue fill, drop counter delta) every
// Params.Socket.Interval with a random phase per server, optionally an active
// probe every Params.Probe.Interval that queues behind the real queries and
// fails after the wait the cost model asks for (costmodel.Model.ProbeWait:
// ProbeTimeout, or up to HungAfter/Fall behind a congested queue; one probe
// at a time, the next one interval after the last or at its verdict), and
// Decide after every sample and whenever the
// Decision's Wake comes due. Pacing (Params.MinInterval, the stand-in for
// MinLSInterval, RFC 2328 appendix B) is the model's own. Each reported
// change reaches the router after RouteDelay plus an exponential jitter of
// mean RouteJitter (flooding, SPF and FIB programming), in order per server.
// The router sends each query to a uniformly random server among those
// advertising the lowest metric (ECMP over many flows, RFC 2328 section
// 16.1: equal-cost paths), and loses it when every server is withdrawn.
//
// # Measurements
//
// Only queries arriving after Config.Warmup are measured. At Duration the
// arrivals stop; the counts (Result.Measured, Result.Total) are taken then,
// with the queries still in the farm counted as in flight, and the farm
// finishes those queries so that their response times, which FIFO service
// makes exact, enter the statistics too. Result has the answered, dropped
// and lost fractions, the mean (with a batch-means standard error), median
// and 99th percentile response time, and per server the traffic share,
// utilisation, cost-model changes per minute and the time the router held
// each advertisement; Result.ECMPTime shows how long 1, 2, ... servers
// shared the lowest metric. Config.OnChange sees every reported change.
//
// # Validation
//
// Supermarket and SupermarketLimit give Mitzenmacher's supermarket model
// and its mean time in system; the package tests check Run against it (and
// against the M/M/c queue) before anything else is trusted.
//
// # Determinism
//
// The simulator uses simulated time only (integer nanoseconds), a binary
// heap of events ordered by time and then by insertion, and seeded
// math/rand/v2 PCG streams: the same Config gives the same Result. Arrivals
// and the work of each query come from their own stream, so every policy run
// with the same seed sees the very same queries (common random numbers).
package sim
