// Package redisfleet shares circuit-breaker openings and retry-budget
// counts among the members of a fleet through Redis: it implements
// transport.Fleet. It is the only retryscope package that imports a Redis
// client, so the core does not depend on one.
//
// Decide locally, share asynchronously. The transport's calls
// (CircuitOpen, RetryAllowed, CountRequest, BreakerChanged) never touch the
// network: they read and write memory (atomics). One background goroutine
// per Fleet, started by New and stopped by Close, meets Redis every
// SyncInterval (100 ms) in one pipelined round trip per sync:
//
//	write  INCRBY+EXPIRE  <prefix>{<host>}:req:<unix second>    first attempts counted since the last sync
//	       INCRBY+EXPIRE  <prefix>{<host>}:retry:<unix second>  retries and hedges
//	       SET NX PX, PEXPIRE GT  <prefix>{<host>}:open         a local breaker opened: held open until
//	read   PTTL           <prefix>{<host>}:open                 how long the fleet holds the circuit open
//	       MGET           the req and retry buckets of the budget window (10 s)
//	both   ZADD, ZREMRANGEBYSCORE, ZCARD, EXPIRE  <prefix>{<host>}:members   this member's sync noted
//	                      (scored by time), the members silent for the window dropped, the rest counted
//	read   TIME           Redis's clock, for the next sync's seconds and scores
//
// A sync covers only the hosts in use: those the transport asked about
// since the last sync, and those with an opening still to publish or that
// the fleet holds open. A member that has met many hosts (per-tenant
// subdomains) pays for the few it is talking to, and an idle member does
// not meet Redis at all. What a host's view says is trusted for StaleAfter
// after the last sync that covered it, so a host back in use after a pause
// answers as if it knew nothing until a sync, asked for at once, reads its
// view again. A host not asked about for the idle TTL (10 minutes) is
// forgotten.
//
// An opening does not wait for the next tick: BreakerChanged wakes the
// goroutine, so the others hear of it within one SyncInterval plus a round
// trip or two. Openings are read as a remaining time (PTTL), not as a
// timestamp, and the budget's seconds and the members' scores are Redis's
// clock (TIME, read at each sync; its offset from the member's serves the
// next sync), so the members' clocks need not agree. A server that
// refuses TIME (an ACL without it) leaves each member on its own clock,
// and then they must agree to within a second or so. The hash tag {<host>}
// keeps a host's keys in one cluster slot, so MGET works on Redis Cluster.
//
// Why no PUBLISH: a sync interval already spreads an opening well within
// the second the fleet has; pub/sub would add a long-lived connection per
// member and deliver at most once (a member that was reconnecting misses
// the message), so the polling read would still be needed; one path is
// simpler to reason about.
//
// When Redis is slow or gone, no request waits or fails: each sync is
// bounded by Timeout (50 ms) and what was read is trusted for StaleAfter
// (1 s) only; after that the Fleet answers as if it knew nothing (circuit
// closed, retries allowed) and the transport's own breaker and budget are in
// charge, until a sync succeeds again. Counts that could not be written are
// dropped: a count delivered late would land in the wrong second.
//
// The fleet-wide budget: the fleet's retries in the window stay fewer than
// Ratio × its first attempts in the window + MinRetriesPerSecond × the
// window's seconds (defaults 0.2 and 1, those of policy.BudgetConfig, over
// Finagle's 10 s window: at least 10 retries per window for the whole
// fleet). Every member reads the same room, so each takes only a part of
// it (policy.FleetBudget): about half its share of the fleet's first
// attempts plus one per member (a member's first attempts written in the
// window, which it keeps, and the members counted above), rounded with a
// draw per sync, and its own counts not yet read back are added in. A
// fleet of 200 whose members each took all the room would send it many
// times over each time it appeared; with parts the benchmark's fleet of
// 200 (retryscope bench -scenarios fleet) stayed within 1.2 times the
// budget in every 10 s window (12 retries against 10, once its load had
// ended and only the floor paid). A retry the budget refuses waits for
// room while the transport waits for its hosts (transport.Fleet).
//
// The Redis server must be 7.0 or later (PEXPIRE ... GT). scripts/redis.sh
// start runs one on 127.0.0.1:6390.
//
// The package's benchmarks compare a Fleet with gobreaker's
// DistributedCircuitBreaker over the same Redis (a SharedDataStore kept in
// the tests), which holds a Redis lock around every call.
package redisfleet
