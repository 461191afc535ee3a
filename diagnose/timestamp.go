package diagnose

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// splitTimestamp removes a leading timestamp, as CloudWatch console and
// `aws logs tail` exports prefix one: "2026-11-26T01:00:00.123Z text" or
// "2026-11-26 01:00:00.123 text" (space or tab after it). Without one it
// returns the zero time and the line unchanged.
func splitTimestamp(line []byte) (time.Time, []byte) {
	if len(line) < 19 || line[4] != '-' || line[7] != '-' {
		return time.Time{}, line
	}
	end := bytes.IndexAny(line, " \t")
	if end < 0 {
		return time.Time{}, line
	}
	if t, ok := parseTime(string(line[:end])); ok {
		return t, bytes.TrimLeft(line[end:], " \t")
	}
	// "2026-11-26 01:00:00.123 rest": the date and the clock are two words.
	next := bytes.IndexAny(line[end+1:], " \t")
	if next < 0 {
		return time.Time{}, line
	}
	end2 := end + 1 + next
	if t, ok := parseTime(string(line[:end2])); ok {
		return t, bytes.TrimLeft(line[end2:], " \t")
	}
	return time.Time{}, line
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"02/Jan/2006:15:04:05 -0700", // $context.requestTime
}

// parseTime reads the timestamp forms the inputs use: RFC 3339, the Logs
// Insights "2006-01-02 15:04:05.000" (UTC), $context.requestTime, and epoch
// milliseconds.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return epochMillis(n)
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			// Years these logs cannot have (0001-01-01 is no time).
			if y := t.UTC().Year(); y < 2000 || y > 2200 {
				return time.Time{}, false
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// epochMillis accepts epoch milliseconds between 2000 and 2200; anything
// else is not a timestamp these logs write.
func epochMillis(ms int64) (time.Time, bool) {
	const from, to = 946684800000, 7258118400000
	if ms < from || ms > to {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}
