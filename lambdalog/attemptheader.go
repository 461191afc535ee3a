package lambdalog

import (
	"strconv"
	"strings"
)

// AttemptHeader is the parsed value of the amz-sdk-request header the AWS
// SDKs and retryscope's transport send, e.g. "attempt=2; max=3".
type AttemptHeader struct {
	// Attempt is the 1-based attempt number; 0 when absent.
	Attempt int
	// Max is the number of attempts allowed in all; 0 when absent.
	Max int
}

// ParseAttemptHeader parses an amz-sdk-request value. Pairs are separated by
// ";", keys are case-insensitive, unknown keys are ignored. It reports false
// when the value has no valid attempt= pair or a pair is malformed (then the
// zero AttemptHeader is returned).
func ParseAttemptHeader(v string) (AttemptHeader, bool) {
	var h AttemptHeader
	if len(v) > 256 {
		return AttemptHeader{}, false
	}
	seenAttempt := false
	for _, pair := range strings.Split(v, ";") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		key, val, ok := strings.Cut(pair, "=")
		if !ok {
			return AttemptHeader{}, false
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		switch key {
		case "attempt", "max":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 || n > 1_000_000 {
				return AttemptHeader{}, false
			}
			if key == "attempt" {
				h.Attempt, seenAttempt = n, true
			} else {
				h.Max = n
			}
		}
	}
	if !seenAttempt {
		return AttemptHeader{}, false
	}
	return h, true
}
