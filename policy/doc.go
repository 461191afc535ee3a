// Package policy makes retryscope's decisions and nothing else: it classifies
// what one attempt saw (Classify), decides whether to try again and after how
// long (Policy.Decide, Backoff), keeps the retry budget (Budget) and paces
// a host that throttles (SendRate).
//
// It does no I/O and reads no clock: every function that needs the time takes
// it as an argument (now time.Time), so the same code drives the real
// transport and a virtual-time simulation. It imports neither the transport
// nor the tracing packages.
//
// The central fact it encodes: a 504 from API Gateway means the gateway
// stopped waiting, not that the function stopped (the function runs to its
// own end; see docs/aws-behaviour.md#integration-timeout in the repository). Every Outcome
// therefore carries a Reach, how far the attempt got, and the safety rule in
// Policy.Decide retries a request whose method is not idempotent, and that
// carries no Idempotency-Key, only when the attempt did not reach the
// function (ReachNotSent or ReachGateway).
package policy
