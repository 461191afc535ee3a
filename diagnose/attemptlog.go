package diagnose

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/retryscope/retryscope/internal/gatewayid"
)

// attemptRecord is one line of the transport's attempt log (slog JSON,
// "msg":"attempt").
type attemptRecord struct {
	Time          time.Time `json:"time"`
	Message       string    `json:"msg"`
	InvocationID  string    `json:"invocation_id"`
	Attempt       int       `json:"attempt"`
	MaxAttempts   int       `json:"max_attempts"`
	Hedge         bool      `json:"hedge"`
	Method        string    `json:"method"`
	URL           string    `json:"url"`
	Start         time.Time `json:"start"`
	DurationMS    float64   `json:"duration_ms"`
	Status        int       `json:"status"`
	Error         string    `json:"error"`
	Reach         string    `json:"reach"`
	Cause         string    `json:"cause"`
	RequestIDSent string    `json:"request_id_sent"`
	RequestID     string    `json:"request_id"`
	APIGatewayID  string    `json:"apigw_id"`
	HTTPAPIID     string    `json:"apigw_requestid"`
	TraceID       string    `json:"trace_id"`
	Retry         bool      `json:"retry"`
	WaitMS        float64   `json:"wait_ms"`
	Reason        string    `json:"reason"`
}

// gatewayRequestID is the id API Gateway logged the attempt under, the key
// that joins it to access and execution logs: an HTTP API's
// apigw-requestid, else the x-amzn-RequestId a REST API answered, else the
// UUID the client sent (which a REST API adopts), else "" (see
// docs/aws-behaviour.md#request-ids).
func (a *attemptRecord) gatewayRequestID() string {
	id, _ := gatewayid.IDs{Sent: a.RequestIDSent, Answered: a.RequestID, Extended: a.APIGatewayID, HTTPAPI: a.HTTPAPIID}.ID()
	return id
}

// interval is when the attempt was in flight, by the client's clock.
func (a *attemptRecord) interval() (time.Time, time.Time) {
	start := a.Start
	d := time.Duration(a.DurationMS * float64(time.Millisecond))
	if start.IsZero() && !a.Time.IsZero() {
		start = a.Time.Add(-d)
	}
	return start, start.Add(d)
}

var errAttemptIncomplete = errors.New("attempt line without invocation_id or attempt >= 1")

// parseAttemptRecord decodes an attempt line already known to be a JSON
// object with "msg":"attempt".
func parseAttemptRecord(line []byte) (attemptRecord, error) {
	var a attemptRecord
	if err := json.Unmarshal(line, &a); err != nil {
		return attemptRecord{}, err
	}
	if a.InvocationID == "" || a.Attempt < 1 || a.DurationMS < 0 {
		return attemptRecord{}, errAttemptIncomplete
	}
	return a, nil
}
