package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/retryscope/retryscope/apigwtest"
)

// parseLatency parses a latency distribution, the value of emulate's
// -latency flag:
//
//	200ms                   fixed, the same as fixed:200ms
//	fixed:200ms             every invocation takes 200 ms longer
//	uniform:100ms-2s        uniform in [100 ms, 2 s)
//	normal:1s,200ms         normal, mean 1 s, standard deviation 200 ms (never below 0)
//	slow:0.1,35s            10% of invocations take 35 s longer, the rest nothing
//	slow:0.1,uniform:30s-40s  the slow share drawn from any distribution
//	overload:200ms,50       200 ms up to 50 invocations at once, then 200 ms * in-flight/50
//
// Durations are Go durations (time.ParseDuration) and must not be negative.
func parseLatency(s string) (apigwtest.Latency, error) {
	kind, arg, ok := strings.Cut(s, ":")
	if !ok {
		d, err := parseNonNegDuration(s)
		if err != nil {
			return nil, fmt.Errorf("latency %q: want fixed:D, uniform:MIN-MAX, normal:MEAN,SD, slow:SHARE,D or overload:BASE,CAPACITY", s)
		}
		return apigwtest.Fixed(d), nil
	}
	switch kind {
	case "fixed":
		d, err := parseNonNegDuration(arg)
		if err != nil {
			return nil, fmt.Errorf("latency fixed:%s: %v", arg, err)
		}
		return apigwtest.Fixed(d), nil
	case "uniform":
		lo, hi, ok := strings.Cut(arg, "-")
		if !ok {
			return nil, fmt.Errorf("latency uniform:%s: want uniform:MIN-MAX, e.g. uniform:100ms-2s", arg)
		}
		min, err := parseNonNegDuration(lo)
		if err != nil {
			return nil, fmt.Errorf("latency uniform:%s: MIN: %v", arg, err)
		}
		max, err := parseNonNegDuration(hi)
		if err != nil {
			return nil, fmt.Errorf("latency uniform:%s: MAX: %v", arg, err)
		}
		if max < min {
			return nil, fmt.Errorf("latency uniform:%s: MAX is below MIN", arg)
		}
		return apigwtest.Uniform{Min: min, Max: max}, nil
	case "normal":
		m, sd, ok := strings.Cut(arg, ",")
		if !ok {
			return nil, fmt.Errorf("latency normal:%s: want normal:MEAN,SD, e.g. normal:1s,200ms", arg)
		}
		mean, err := parseNonNegDuration(m)
		if err != nil {
			return nil, fmt.Errorf("latency normal:%s: MEAN: %v", arg, err)
		}
		dev, err := parseNonNegDuration(sd)
		if err != nil {
			return nil, fmt.Errorf("latency normal:%s: SD: %v", arg, err)
		}
		return apigwtest.Normal{Mean: mean, StdDev: dev}, nil
	case "slow":
		sh, rest, ok := strings.Cut(arg, ",")
		if !ok {
			return nil, fmt.Errorf("latency slow:%s: want slow:SHARE,D, e.g. slow:0.1,35s", arg)
		}
		share, err := parseShare(sh)
		if err != nil {
			return nil, fmt.Errorf("latency slow:%s: SHARE: %v", arg, err)
		}
		slow, err := parseLatency(rest)
		if err != nil {
			return nil, fmt.Errorf("latency slow:%s: %v", arg, err)
		}
		return apigwtest.SlowShare{Share: share, Slow: slow}, nil
	case "overload":
		b, c, ok := strings.Cut(arg, ",")
		if !ok {
			return nil, fmt.Errorf("latency overload:%s: want overload:BASE,CAPACITY, e.g. overload:200ms,50", arg)
		}
		base, err := parseNonNegDuration(b)
		if err != nil {
			return nil, fmt.Errorf("latency overload:%s: BASE: %v", arg, err)
		}
		capacity, err := strconv.Atoi(c)
		if err != nil || capacity < 1 {
			return nil, fmt.Errorf("latency overload:%s: CAPACITY must be a whole number of at least 1", arg)
		}
		return apigwtest.Overload{Base: base, Capacity: capacity}, nil
	}
	return nil, fmt.Errorf("latency %q: unknown distribution %q (fixed, uniform, normal, slow, overload)", s, kind)
}

// formatLatency writes l in the syntax parseLatency reads; for the
// distributions parseLatency makes, parseLatency(formatLatency(l)) == l.
func formatLatency(l apigwtest.Latency) string {
	switch l := l.(type) {
	case nil:
		return "none"
	case apigwtest.Fixed:
		return "fixed:" + time.Duration(l).String()
	case apigwtest.Uniform:
		return "uniform:" + l.Min.String() + "-" + l.Max.String()
	case apigwtest.Normal:
		return "normal:" + l.Mean.String() + "," + l.StdDev.String()
	case apigwtest.SlowShare:
		return "slow:" + strconv.FormatFloat(l.Share, 'g', -1, 64) + "," + formatLatency(l.Slow)
	case apigwtest.Overload:
		return "overload:" + l.Base.String() + "," + strconv.Itoa(l.Capacity)
	}
	return fmt.Sprintf("%T", l)
}

// parseNonNegDuration parses a Go duration that is not negative.
func parseNonNegDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 200ms, 1.5s, 2m)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

// parseShare parses a share between 0 and 1.
func parseShare(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= 1) {
		return 0, fmt.Errorf("%q is not a number between 0 and 1", s)
	}
	return f, nil
}

// throttle is the value of emulate's -throttle flag.
type throttle struct {
	rate  float64
	burst int
}

// parseThrottle parses "RATE,BURST" (requests per second, bucket size);
// "RATE" alone takes a burst of RATE (at least 1).
func parseThrottle(s string) (throttle, error) {
	r, b, hasBurst := strings.Cut(s, ",")
	rate, err := strconv.ParseFloat(r, 64)
	if err != nil || math.IsNaN(rate) || math.IsInf(rate, 0) || rate < 0 || rate > 1e9 {
		return throttle{}, fmt.Errorf("throttle %q: RATE must be a number of requests per second, 0 or more (want RATE,BURST, e.g. 10,5)", s)
	}
	if !hasBurst {
		return throttle{rate: rate, burst: max(1, int(math.Ceil(rate)))}, nil
	}
	burst, err := strconv.Atoi(b)
	if err != nil || burst < 1 || burst > 1e9 {
		return throttle{}, fmt.Errorf("throttle %q: BURST must be a whole number of at least 1", s)
	}
	return throttle{rate: rate, burst: burst}, nil
}

// outageKinds names the outages -outage accepts.
var outageKinds = map[string]apigwtest.Outage{
	"timeout":        apigwtest.OutageTimeout,
	"throttle":       apigwtest.OutageThrottle,
	"function-error": apigwtest.OutageFunctionError,
}

// parseOutage parses emulate's -outage value "FROM-TO[:KIND]": from FROM
// to TO after the server starts (emulated time; an empty TO means for
// ever) every request meets KIND: timeout (the default: 504 while the
// function runs on), throttle (Lambda 429, the client gets 500) or
// function-error (502).
func parseOutage(s string) (apigwtest.Phase, error) {
	window, kind, hasKind := strings.Cut(s, ":")
	from, to, ok := strings.Cut(window, "-")
	if !ok || from == "" {
		return apigwtest.Phase{}, fmt.Errorf("outage %q: want FROM-TO[:KIND], e.g. 10s-40s or 10s-40s:throttle", s)
	}
	var p apigwtest.Phase
	var err error
	if p.From, err = parseNonNegDuration(from); err != nil {
		return apigwtest.Phase{}, fmt.Errorf("outage %q: FROM: %v", s, err)
	}
	if to != "" {
		if p.To, err = parseNonNegDuration(to); err != nil {
			return apigwtest.Phase{}, fmt.Errorf("outage %q: TO: %v", s, err)
		}
		if p.To <= p.From {
			return apigwtest.Phase{}, fmt.Errorf("outage %q: TO must be after FROM", s)
		}
	}
	p.Fault.Outage = apigwtest.OutageTimeout
	if hasKind {
		o, ok := outageKinds[kind]
		if !ok {
			return apigwtest.Phase{}, fmt.Errorf("outage %q: unknown kind %q (timeout, throttle, function-error)", s, kind)
		}
		p.Fault.Outage = o
	}
	return p, nil
}

// formatOutage writes p in the syntax parseOutage reads.
func formatOutage(p apigwtest.Phase) string {
	to := ""
	if p.To > 0 {
		to = p.To.String()
	}
	return p.From.String() + "-" + to + ":" + p.Fault.Outage.String()
}

// parseSleep parses the echo function's ?sleep= value: a Go duration, or
// a whole number of milliseconds.
func parseSleep(s string) (time.Duration, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms < 0 || ms > int64(math.MaxInt64/time.Millisecond) {
			return 0, errors.New("sleep out of range")
		}
		return time.Duration(ms) * time.Millisecond, nil
	}
	return parseNonNegDuration(s)
}
