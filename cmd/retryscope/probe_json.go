package main

import (
	"encoding/json"
	"time"

	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/internal/termsafe"
)

// probeJSON is the -json document.
type probeJSON struct {
	Method   string             `json:"method"`
	URL      string             `json:"url"`
	Headers  []string           `json:"headers,omitempty"`
	OK       bool               `json:"ok"`
	Summary  string             `json:"summary"`
	Requests []probeRequestJSON `json:"requests"`
	Queries  []insightsQuery    `json:"queries"`
}

type probeRequestJSON struct {
	Request    int     `json:"request"`
	Status     int     `json:"status,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	BodyBytes  int64   `json:"body_bytes"`
	// BodyTruncated says the body went on past body_bytes (probe's
	// limit) and was not read further.
	BodyTruncated bool                `json:"body_truncated,omitempty"`
	Redirects     []probeRedirectJSON `json:"redirects,omitempty"`
	Attempts      []probeAttemptJSON  `json:"attempts"`
}

// probeRedirectJSON is a redirect followed with -L.
type probeRedirectJSON struct {
	Status int    `json:"status"`
	URL    string `json:"url"`
}

// probeAttemptJSON uses the keys of the transport's attempt log
// (transport.WithLogger), so the same tools read both.
type probeAttemptJSON struct {
	Attempt       int     `json:"attempt"`
	Hedge         bool    `json:"hedge,omitempty"`
	InvocationID  string  `json:"invocation_id,omitempty"`
	Start         string  `json:"start"`
	DurationMS    float64 `json:"duration_ms"`
	Status        int     `json:"status"`
	Error         string  `json:"error,omitempty"`
	Reach         string  `json:"reach"`
	Cause         string  `json:"cause,omitempty"`
	RequestIDSent string  `json:"request_id_sent,omitempty"`
	RequestID     string  `json:"request_id,omitempty"`
	// GatewayRequestID is the id API Gateway logged the attempt under
	// (the rule of queryID); absent when unknown.
	GatewayRequestID string  `json:"gateway_request_id,omitempty"`
	APIGWID          string  `json:"apigw_id,omitempty"`
	APIGWRequestID   string  `json:"apigw_requestid,omitempty"`
	TraceID          string  `json:"trace_id,omitempty"`
	Retry            bool    `json:"retry"`
	WaitMS           float64 `json:"wait_ms"`
	Rule             string  `json:"rule"`
	Reason           string  `json:"reason"`
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (o *probeOutput) json(t *probeTally, queries []insightsQuery) {
	all := t.results
	doc := probeJSON{
		Method:   o.cfg.method,
		URL:      redact.URL(o.cfg.url),
		OK:       true,
		Summary:  t.summary(),
		Requests: make([]probeRequestJSON, 0, len(all)),
		Queries:  queries,
	}
	for _, kv := range o.cfg.header.fields {
		doc.Headers = append(doc.Headers, kv.name+": "+shownHeaderValue(kv.name, kv.value))
	}
	for _, r := range all {
		if r.failed() {
			doc.OK = false
		}
		rj := probeRequestJSON{Request: r.index + 1, Status: r.status, DurationMS: millis(r.duration),
			BodyBytes: r.bodyBytes, BodyTruncated: r.bodyLong, Attempts: make([]probeAttemptJSON, 0, len(r.attempts))}
		for _, rd := range r.redirects {
			rj.Redirects = append(rj.Redirects, probeRedirectJSON{Status: rd.status, URL: redact.URL(rd.url)})
		}
		if r.err != nil {
			rj.Error = o.text(finalError(r.err))
		} else if r.bodyErr != nil {
			rj.Error = "reading the body: " + o.text(r.bodyErr.Error())
		}
		for i := range r.attempts {
			a := &r.attempts[i]
			aj := probeAttemptJSON{
				Attempt: a.Number, Hedge: a.Hedge, InvocationID: a.InvocationID,
				Start: a.Start.UTC().Format(time.RFC3339Nano), DurationMS: millis(a.Duration),
				Status: a.Status, Reach: string(a.Reach), Cause: string(a.Cause),
				RequestIDSent: a.RequestIDSent, RequestID: a.RequestID, GatewayRequestID: queryID(a),
				APIGWID: a.ExtendedRequestID, APIGWRequestID: a.HTTPAPIRequestID, TraceID: a.TraceID,
				Retry: a.Retry, WaitMS: millis(a.Wait), Rule: string(a.Rule), Reason: o.text(a.Reason),
			}
			if a.Err != nil {
				aj.Error = o.text(a.Err.Error())
			}
			rj.Attempts = append(rj.Attempts, aj)
		}
		doc.Requests = append(doc.Requests, rj)
	}
	enc := json.NewEncoder(termsafe.JSONWriter(o.w))
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc)
}
