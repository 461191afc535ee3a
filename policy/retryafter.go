package policy

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfterSeconds bounds the delay-seconds a Retry-After may state, so a
// huge value cannot overflow time.Duration. Policy.MaxRetryAfter is the
// bound that matters for decisions.
const maxRetryAfterSeconds = 1 << 31

// ParseRetryAfter reads a Retry-After header value (RFC 9110 §10.2.3):
// delay-seconds or an HTTP-date, which is turned into a delay from now. A
// date in the past means 0. It reports false for an empty, negative or
// malformed value; it never panics and never returns a negative delay.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		// delay-seconds = 1*DIGIT. Check every byte here: ParseUint reports
		// a range error at the first overflow, before it sees any garbage
		// behind the digits.
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return 0, false
			}
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			n = maxRetryAfterSeconds // all digits, just too many of them
		}
		return time.Duration(min(n, maxRetryAfterSeconds)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		return 0, true
	}
	return d, true
}
