package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/internal/termsafe"
	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// maxQueryIDs is how many request ids the Logs Insights queries list: ten
// queries' worth. Later ids are counted, not listed.
const maxQueryIDs = 10 * queryIDChunk

// probeTally is what probe keeps of the requests it has printed: counts,
// the ids for the queries (at most maxQueryIDs), and, for -json only, the
// results themselves (at most maxProbeRequests).
type probeTally struct {
	cfg        *probeConfig
	requests   int
	attempts   int
	ends       map[string]int
	failed     bool  // a request ended in an error or a 5xx
	reached    bool  // an attempt got past the client
	notSent    int   // attempts that did not
	lastErr    error // the last request's error
	lastAtt    error // the last attempt's error: says more than "circuit breaker open"
	ids        []string
	seen       map[string]bool
	idsOmitted int
	keep       bool          // keep the results: -json or -html needs them all at the end
	results    []probeResult // when keep
}

func newProbeTally(cfg *probeConfig) *probeTally {
	return &probeTally{cfg: cfg, ends: map[string]int{}, seen: map[string]bool{}, keep: cfg.json || cfg.html != ""}
}

func (t *probeTally) add(r probeResult) {
	t.requests++
	t.attempts += len(r.attempts)
	if r.err != nil {
		t.ends["error"]++
		t.lastErr = r.err
	} else {
		t.ends[strconv.Itoa(r.status)]++
	}
	t.failed = t.failed || r.failed()
	t.reached = t.reached || reachedAnything(r)
	for i := range r.attempts {
		a := &r.attempts[i]
		if a.Err != nil {
			t.lastAtt = a.Err
		}
		if a.Reach == policy.ReachNotSent {
			t.notSent++
			continue
		}
		id := queryID(a)
		if !validQueryID(id) || t.seen[id] {
			continue
		}
		if len(t.ids) == maxQueryIDs {
			t.idsOmitted++
			continue
		}
		t.seen[id] = true
		t.ids = append(t.ids, id)
	}
	if t.keep {
		t.results = append(t.results, r)
	}
}

// summary counts how the requests ended.
func (t *probeTally) summary() string {
	keys := make([]string, 0, len(t.ends))
	for k := range t.ends {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, t.ends[k])
	}
	return fmt.Sprintf("%d request(s), %d attempt(s); ended with %s", t.requests, t.attempts, strings.Join(parts, ", "))
}

// unreachable reports, for a probe where no attempt of any request got
// past the client (every attempt "not_sent"), the one-line message to
// print instead of the tables.
func (t *probeTally) unreachable() (string, bool) {
	if t.requests == 0 || t.reached || t.lastErr == nil {
		return "", false
	}
	last := t.lastErr
	if t.lastAtt != nil {
		last = t.lastAtt
	}
	var te *transport.Error
	if errors.As(last, &te) && te.Err != nil {
		last = te.Err
	}
	u := t.cfg.url
	if t.notSent == 0 {
		return fmt.Sprintf("cannot reach %s: %s", u.Host, termsafe.String(redact.Text(last.Error(), u))), true
	}
	return fmt.Sprintf("cannot reach %s: %s (%d attempt(s), nothing was sent)", u.Host, termsafe.String(redact.Text(last.Error(), u)), t.notSent), true
}
