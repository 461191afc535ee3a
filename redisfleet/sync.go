package redisfleet

import (
	"context"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// hostKeys are a host's Redis keys. The hash tag {host} puts them all in
// one cluster slot, so one MGET reads a whole window.
type hostKeys struct {
	open    string // held open; PTTL is how long
	req     string // + unix second: first attempts in that second
	retry   string // + unix second: retries and hedges in that second
	members string // sorted set: each member by the unix milliseconds of its last sync
}

func newHostKeys(prefix, name string) hostKeys {
	base := prefix + "{" + name + "}:"
	return hostKeys{open: base + "open", req: base + "req:", retry: base + "retry:", members: base + "members"}
}

// buckets returns the keys of the window's seconds ending at sec.
func buckets(base string, sec int64, window time.Duration) []string {
	n := int64(window / time.Second)
	keys := make([]string, 0, n)
	for s := sec - n + 1; s <= sec; s++ {
		keys = append(keys, base+strconv.FormatInt(s, 10))
	}
	return keys
}

// syncItem is one host's part of a sync: what was handed to Redis and what
// came back.
type syncItem struct {
	h              *host
	sec            int64 // the unix second the counts are written under
	reqs, retries  int64 // counts written by this sync
	publish        int64 // the opening written (unix nanos), 0 for none
	openTTL        time.Duration
	fleetReqs      int64
	fleetRetries   int64
	members        int64 // members that synced within the window, this one included
	pttl           *redis.DurationCmd
	reqSum, rtySum *redis.SliceCmd
	memberCount    *redis.IntCmd
}

// run is the Fleet's goroutine: a sync now, then one every SyncInterval
// and whenever a local breaker opens, until Close.
func (f *Fleet) run() {
	defer close(f.done)
	tick := time.NewTicker(f.cfg.syncInterval)
	defer tick.Stop()
	for {
		f.sync()
		select {
		case <-f.ctx.Done():
			return
		case <-tick.C:
		case <-f.kick:
		}
	}
}

// collect takes the pending counts and opening of every host listed for
// this sync at now, whose counts go under second sec: the hosts used since the last sync and those a sync
// must still cover. The counts move to "sending", where RetryAllowed still
// sees them until settle. Hosts not listed cost nothing: a member that has
// met many hosts syncs only those in use.
func (f *Fleet) collect(now time.Time, sec int64) []syncItem {
	f.mu.Lock()
	hs := f.listed
	f.listed = nil
	f.mu.Unlock()
	if len(hs) == 0 {
		return nil
	}
	items := make([]syncItem, 0, len(hs))
	for _, h := range hs {
		h.listed.Store(false) // a use from now on lists it for the next sync
		h.lastUsed.Store(now.UnixNano())
		it := syncItem{h: h, sec: sec}
		if f.cfg.budget {
			it.reqs = h.pendingReqs.Swap(0)
			h.sendingReqs.Add(it.reqs)
			it.retries = h.pendingRetries.Swap(0)
			h.sendingRetries.Add(it.retries)
		}
		if u := h.publish.Load(); u != 0 {
			if u-now.UnixNano() >= int64(time.Millisecond) {
				it.publish = u
			} else {
				h.publish.CompareAndSwap(u, 0) // over already
			}
		}
		items = append(items, it)
	}
	return items
}

// settle ends a sync that finished at end: with ok, the view is replaced by
// what was read and the openings written are done; either way the counts
// handed over leave "sending" (written, so now in the view, or dropped). A
// host with an opening still to publish, or that the fleet holds open, is
// listed for the next sync whether or not it is used.
func (f *Fleet) settle(items []syncItem, ok bool, end time.Time) {
	for i := range items {
		it := &items[i]
		h := it.h
		if ok {
			if it.openTTL > 0 {
				h.openUntil.Store(end.Add(it.openTTL).UnixNano())
			} else {
				h.openUntil.Store(0)
			}
			h.fleetReqs.Store(it.fleetReqs)
			h.fleetRetries.Store(it.fleetRetries)
			h.ownReqs.Store(h.wrote(it.sec, it.reqs, f.cfg.window))
			h.members.Store(it.members)
			h.draw.Store(math.Float64bits(f.cfg.draw()))
			h.readAt.Store(end.UnixNano())
			if it.publish != 0 {
				h.publish.CompareAndSwap(it.publish, 0)
			}
		}
		h.sendingReqs.Add(-it.reqs)
		h.sendingRetries.Add(-it.retries)
		if h.publish.Load() != 0 || h.openUntil.Load() > end.UnixNano() {
			f.list(h)
		}
	}
	if ok && len(items) > 0 {
		f.readAt.Store(end.UnixNano())
	}
}

// sweep drops, at most every idle TTL / 8, the hosts not used for the idle
// TTL at now that hold nothing: no count or opening to write, no circuit
// the fleet holds open. It runs on the sync goroutine.
func (f *Fleet) sweep(now time.Time) {
	ttl := f.cfg.hostIdleTTL
	if ttl <= 0 || now.Sub(f.swept) < ttl/8 {
		return
	}
	f.swept = now
	n := now.UnixNano()
	f.hosts.Range(func(k, v any) bool {
		h := v.(*host)
		if !h.listed.Load() && n-h.lastUsed.Load() >= int64(ttl) && h.openUntil.Load() <= n &&
			h.publish.Load() == 0 && h.pendingReqs.Load() == 0 && h.pendingRetries.Load() == 0 &&
			h.sendingReqs.Load() == 0 && h.sendingRetries.Load() == 0 {
			// A caller that found h just before this still has it listed
			// for the next sync, which writes its counts; the next call
			// makes a fresh state.
			f.hosts.CompareAndDelete(k, h)
		}
		return true
	})
}

// sync writes this member's counts and openings and reads the fleet's view
// in one pipeline, bounded by Timeout.
func (f *Fleet) sync() {
	now := f.cfg.now()
	f.sweep(now)
	// The budget's seconds and the members' scores are Redis's clock, as
	// this member read it at its last sync: every member writes and reads
	// the same seconds whatever its own clock says.
	redisNow := now.Add(time.Duration(f.redisOffset.Load()))
	sec := redisNow.Unix()
	items := f.collect(now, sec)
	if len(items) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.timeout)
	defer cancel()
	expire := f.cfg.window + 2*time.Second
	pipe := f.client.Pipeline()
	var redisTime *redis.TimeCmd
	if f.cfg.budget && !f.noTime.Load() {
		redisTime = pipe.Time(ctx)
	}
	for i := range items {
		it := &items[i]
		k := it.h.keys
		if it.reqs > 0 {
			key := k.req + strconv.FormatInt(sec, 10)
			pipe.IncrBy(ctx, key, it.reqs)
			pipe.Expire(ctx, key, expire)
		}
		if it.retries > 0 {
			key := k.retry + strconv.FormatInt(sec, 10)
			pipe.IncrBy(ctx, key, it.retries)
			pipe.Expire(ctx, key, expire)
		}
		if it.publish != 0 {
			// Keep the longest opening any member asked for: create the
			// key, or only lengthen it.
			rem := time.Duration(it.publish - now.UnixNano())
			pipe.SetNX(ctx, k.open, it.publish/int64(time.Millisecond), rem)
			pipe.Do(ctx, "PEXPIRE", k.open, rem.Milliseconds(), "GT")
		}
		it.pttl = pipe.PTTL(ctx, k.open)
		if f.cfg.budget {
			it.reqSum = pipe.MGet(ctx, buckets(k.req, sec, f.cfg.window)...)
			it.rtySum = pipe.MGet(ctx, buckets(k.retry, sec, f.cfg.window)...)
			// This member's sync noted, the members silent for the window
			// dropped, the rest counted: plain sorted-set commands, so a
			// Redis user without scripting rights syncs too.
			ms := redisNow.UnixMilli()
			pipe.ZAdd(ctx, k.members, redis.Z{Score: float64(ms), Member: f.id})
			pipe.ZRemRangeByScore(ctx, k.members, "-inf", "("+strconv.FormatInt(ms-f.cfg.window.Milliseconds(), 10))
			it.memberCount = pipe.ZCard(ctx, k.members)
			pipe.Expire(ctx, k.members, expire)
		}
	}
	cmds, err := pipe.Exec(ctx)
	end := f.cfg.now()
	if redisTime != nil {
		err = f.learnClock(redisTime, cmds, err, now, end)
	}
	if err == nil {
		for i := range items {
			it := &items[i]
			it.openTTL = it.pttl.Val() // negative: no key, or no expiry
			if f.cfg.budget {
				it.fleetReqs = sum(it.reqSum.Val())
				it.fleetRetries = sum(it.rtySum.Val())
				it.members = it.memberCount.Val()
			}
		}
	} else if f.cfg.onError != nil && f.ctx.Err() == nil {
		f.cfg.onError(err)
	}
	f.settle(items, err == nil, end)
}

// learnClock takes Redis's clock from a sync that ran from start to end:
// its offset from this member's, at the sync's midpoint, for the next
// sync's seconds. It returns the pipeline's error, cmds' first, leaving out
// a TIME that Redis answered with an error (a server that renames or
// forbids the command): the member then stops asking, and its own clock
// serves.
func (f *Fleet) learnClock(cmd *redis.TimeCmd, cmds []redis.Cmder, err error, start, end time.Time) error {
	t, terr := cmd.Result()
	var refused redis.Error
	switch {
	case terr == nil:
		f.redisOffset.Store(int64(t.Sub(start.Add(end.Sub(start) / 2))))
	case errors.As(terr, &refused):
		f.noTime.Store(true)
		err = nil
		for _, c := range cmds {
			if c != redis.Cmder(cmd) && c.Err() != nil && c.Err() != redis.Nil {
				return c.Err()
			}
		}
	}
	return err
}

// sum adds up MGET's answer: decimal strings, nil for missing keys.
func sum(vals []any) int64 {
	var n int64
	for _, v := range vals {
		if s, ok := v.(string); ok {
			if x, err := strconv.ParseInt(s, 10, 64); err == nil {
				n += x
			}
		}
	}
	return n
}

// ownSecond is this member's first attempts written under one second.
type ownSecond struct{ sec, n int64 }

// wrote notes that this member wrote n first attempts under second sec and
// returns its own first attempts in the window ending there: its part of
// what the same sync read. It runs on the sync goroutine.
func (h *host) wrote(sec, n int64, window time.Duration) int64 {
	w := int64(window / time.Second)
	if int64(len(h.own)) != w {
		h.own = make([]ownSecond, w)
	}
	slot := &h.own[sec%w]
	if slot.sec != sec {
		*slot = ownSecond{sec: sec}
	}
	slot.n += n
	var total int64
	for _, s := range h.own {
		if s.sec > sec-w && s.sec <= sec {
			total += s.n
		}
	}
	return total
}
