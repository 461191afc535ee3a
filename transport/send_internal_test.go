package transport

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/retryscope/retryscope/policy"
)

// countingBase counts the requests it is handed and answers 200.
type countingBase struct{ n int }

func (b *countingBase) RoundTrip(req *http.Request) (*http.Response, error) {
	b.n++
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// TestSendAfterCancelClosed: an attempt (a retry or a hedge) whose caller
// closed Request.Cancel before it went out is not sent at all, and says
// so; with Request.Cancel open, or unset, it is sent.
func TestSendAfterCancelClosed(t *testing.T) {
	t.Parallel()
	closed := make(chan struct{})
	close(closed)
	tests := []struct {
		name     string
		cancel   chan struct{}
		wantSent int
	}{
		{"closed", closed, 0},
		{"open", make(chan struct{}), 1},
		{"unset", nil, 1},
	}
	for _, tt := range tests {
		base := new(countingBase)
		tr := New(base)
		req, _ := http.NewRequest(http.MethodGet, "http://api.example/orders", nil)
		req.Cancel = tt.cancel
		c := &call{t: tr, req: req, ctx: req.Context(), start: time.Now()}
		var r attemptResult
		r.n = 2
		c.send(req, &r)
		if base.n != tt.wantSent {
			t.Errorf("%s: sent %d times, want %d", tt.name, base.n, tt.wantSent)
		}
		if tt.wantSent == 0 {
			if !errors.Is(r.err, errCanceled) || r.outcome.Reach != policy.ReachNotSent || r.outcome.Cause != policy.CauseCanceled {
				t.Errorf("%s: err %v, outcome %+v; want errCanceled, not sent, canceled", tt.name, r.err, r.outcome)
			}
			if r.resp != nil || !r.end.Equal(r.start) {
				t.Errorf("%s: a response or a duration for an attempt never sent: %v, %v", tt.name, r.resp, r.end.Sub(r.start))
			}
			continue
		}
		if r.err != nil || r.resp == nil || r.resp.StatusCode != 200 {
			t.Errorf("%s: err %v, resp %v; want the 200", tt.name, r.err, r.resp)
		}
	}
}
