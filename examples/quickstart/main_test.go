package main

import (
	"strings"
	"testing"
)

// The quickstart is the README's first command: it must keep showing a GET
// retried past a 504 and a POST that is not, whose function still finished.
func TestQuickstart(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"GET /orders/42 -> 200",
		"attempt 1: 504, reach backend_timeout",
		"POST /orders -> 504",
		"stop (unsafe)",
		"POST /orders request id",
		"finished after the gateway's 504=true",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "  attempt "); n != 3 {
		t.Errorf("want 3 attempts (GET twice, POST once), got %d:\n%s", n, got)
	}
}
