package policy_test

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// maxRetryAfter is the largest delay ParseRetryAfter reports for
// delay-seconds: 2^31 seconds, about 68 years.
const maxRetryAfter = 1 << 31 * time.Second

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	date := now.Add(90 * time.Second)
	tests := []struct {
		name string
		v    string
		want time.Duration
		ok   bool
	}{
		{"seconds", "120", 120 * time.Second, true},
		{"zero", "0", 0, true},
		{"leading zeros", "007", 7 * time.Second, true},
		{"spaces", "  5  ", 5 * time.Second, true},
		{"tabs and newline", "\t7\r\n", 7 * time.Second, true},
		{"IMF-fixdate", date.Format(http.TimeFormat), 90 * time.Second, true},
		{"RFC 850 date", date.Format("Monday, 02-Jan-06 15:04:05 GMT"), 90 * time.Second, true},
		{"ANSI C date", date.Format(time.ANSIC), 90 * time.Second, true},
		{"date with spaces", "  " + date.Format(http.TimeFormat) + " ", 90 * time.Second, true},
		{"date now", now.Format(http.TimeFormat), 0, true},
		{"past date", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"epoch", "Thu, 01 Jan 1970 00:00:00 GMT", 0, true},
		{"far future date", "Fri, 31 Dec 9999 23:59:59 GMT", math.MaxInt64, true},
		{"at the bound", "2147483648", maxRetryAfter, true},
		{"past the bound", "2147483649", maxRetryAfter, true},
		{"MaxUint64", "18446744073709551615", maxRetryAfter, true},
		{"more digits than uint64", strings.Repeat("9", 400), maxRetryAfter, true},

		{"empty", "", 0, false},
		{"only spaces", "   ", 0, false},
		{"negative", "-1", 0, false},
		{"negative zero", "-0", 0, false},
		{"plus sign", "+5", 0, false},
		{"fraction", "1.5", 0, false},
		{"unit", "5s", 0, false},
		{"hex", "0x10", 0, false},
		{"underscore", "1_000", 0, false},
		{"inner space", "1 2", 0, false},
		{"exponent", "1e3", 0, false},
		{"fullwidth digits", "１２", 0, false},
		{"word", "soon", 0, false},
		{"bad day", "Wed, 32 Oct 2015 07:28:00 GMT", 0, false},
		{"date without zone", "Wed, 21 Oct 2015 07:28:00", 0, false},
		// ParseUint stops at the first overflow, before it sees the
		// garbage behind the digits.
		{"huge digits then garbage", strings.Repeat("9", 30) + "x", 0, false},
		{"huge digits then space digit", strings.Repeat("9", 30) + " 1", 0, false},
		{"NUL", "5\x00", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := policy.ParseRetryAfter(tc.v, now)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseRetryAfter(%q) = %v, %t; want %v, %t", tc.v, got, ok, tc.want, tc.ok)
			}
		})
	}
}
