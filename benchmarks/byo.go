package benchmarks

import (
	"net/http"
	"slices"
)

// ClientPolicy makes any http.Client a Policy, to benchmark it against the
// built-in scenarios and peers. newClient is called once per run (per
// member in the fleet scenario) with the run's base round tripper: the
// client must send every attempt through base (as its Transport, or under
// its own RoundTripper), or the run cannot count its attempts.
//
// Its durations are not scaled: run it with RunVirtual (virtual time,
// scale 1), where a 1 s backoff takes 1 emulated second. Jitter drawn from
// math/rand or crypto/rand does not repeat with the seed; to make the
// results repeat byte for byte, write a Policy whose New draws from
// Env.Rand instead.
func ClientPolicy(name, summary string, newClient func(base http.RoundTripper) *http.Client) Policy {
	return Policy{Name: name, Summary: summary, New: func(env Env) Client { return newClient(env.Base) }}
}

// TransportPolicy is ClientPolicy for a RoundTripper that wraps base (a
// retrying transport): the client is &http.Client{Transport: wrap(base)}.
func TransportPolicy(name, summary string, wrap func(base http.RoundTripper) http.RoundTripper) Policy {
	return Policy{Name: name, Summary: summary, New: func(env Env) Client { return &http.Client{Transport: wrap(env.Base)} }}
}

// Peers returns the built-in policies to compare a policy with: no
// retries, the peers (go-retryablehttp, failsafe-go, the AWS SDK's
// standard retryer) and retryscope's defaults, in Policies' order.
func Peers() []Policy {
	var out []Policy
	for _, p := range Policies() {
		if p.Peer || slices.Contains([]string{"none", "retryscope"}, p.Name) {
			out = append(out, p)
		}
	}
	return out
}
