package main

import (
	"fmt"
	"strings"

	"github.com/retryscope/retryscope/internal/gatewayid"
	"github.com/retryscope/retryscope/transport"
)

// gatewayIDs are the attempt's request ids, for the rule that picks the
// one API Gateway logged it under (docs/aws-behaviour.md#request-ids).
func gatewayIDs(a *transport.Attempt) gatewayid.IDs {
	return gatewayid.IDs{Sent: a.RequestIDSent, Answered: a.RequestID, Extended: a.ExtendedRequestID, HTTPAPI: a.HTTPAPIRequestID}
}

// queryID is the id API Gateway logged the attempt under, "" when unknown
// (the rule of gatewayid.IDs.ID, as the HTML page shows it).
func queryID(a *transport.Attempt) string { return a.APIGatewayRequestID() }

// validQueryID keeps ids that can go in a Logs Insights string literal as
// they are: whatever a server answers, no quote or backslash gets into a
// query.
func validQueryID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_=+/.", c) >= 0) {
			return false
		}
	}
	return true
}

// insightsQuery is one query ready to paste.
type insightsQuery struct {
	Title    string `json:"title"`
	LogGroup string `json:"log_group"`
	Query    string `json:"query"`
}

// The troubleshooting guide's two queries. The first is the guide's; the
// second, as the guide prints it, filters on a field "message" that it
// never parses (only the first query's parse creates it), so it matches
// nothing: here it filters @message, the field it displays.
const (
	seedQuery504Parsed = `parse @message '(*) *' as reqId, message
| filter message like /Method completed with status: \d\d\d/
| parse message 'Method completed with status: *' as status
| filter status = 504
| sort @timestamp desc
| limit 20`
	seedQuery504Plain = `fields @timestamp, @message
| filter @message like /Method completed with status: 504/
| sort @timestamp desc
| limit 20`
)

// Log groups as API Gateway and Lambda name them.
const (
	executionLogGroup = "API-Gateway-Execution-Logs_<api-id>/<stage>"
	accessLogGroup    = "the stage's access log group (JSON format with $context.requestId as requestId)"
	lambdaLogGroup    = "/aws/lambda/<function-name>"
)

// queryIDChunk is how many ids one query lists at most, and queryIDChars
// how many characters their quoted list may take, so that a query stays
// under Logs Insights' 10,000-character limit whatever the ids' length (up
// to 128 characters, see validQueryID).
const (
	queryIDChunk = 100
	queryIDChars = 8000
)

// chunkIDs splits ids into the lists that go in one query each.
func chunkIDs(ids []string) [][]string {
	var chunks [][]string
	var part []string
	chars := 2 // the brackets
	for _, id := range ids {
		n := len(id) + 4 // quotes, comma, space
		if len(part) > 0 && (len(part) == queryIDChunk || chars+n > queryIDChars) {
			chunks = append(chunks, part)
			part, chars = nil, 2
		}
		part = append(part, id)
		chars += n
	}
	if len(part) > 0 {
		chunks = append(chunks, part)
	}
	return chunks
}

// insightsQueries returns the guide's two 504 queries and, for the given
// request ids, one query each over the execution log, the access log and
// the function's log (lines of retryscope's lambdalog middleware).
func insightsQueries(ids []string) []insightsQuery {
	qs := []insightsQuery{
		{"504 answers in the execution log (the guide's first query; REST APIs)", executionLogGroup, seedQuery504Parsed},
		{"504 answers in the execution log (the guide's second query; REST APIs)", executionLogGroup, seedQuery504Plain},
	}
	parts := chunkIDs(ids)
	for c, part := range parts {
		suffix := ""
		if len(parts) > 1 {
			suffix = fmt.Sprintf(" (part %d of %d)", c+1, len(parts))
		}
		list := quoteIDs(part)
		qs = append(qs,
			insightsQuery{"these requests in the execution log (REST APIs): did the gateway call Lambda, and what came back" + suffix, executionLogGroup,
				"parse @message '(*) *' as reqId, message\n" +
					"| filter reqId in " + list + "\n" +
					"| sort @timestamp asc\n" +
					"| display @timestamp, reqId, message\n" +
					"| limit 10000"},
			insightsQuery{"these requests in the access log: integration_requestId is the Lambda request id, '-' when no integration answered" + suffix, accessLogGroup,
				"fields @timestamp, requestId, extendedRequestId, status, integration_status, integration_integrationStatus, " +
					"integration_latency, integration_requestId, integration_error, error_responseType, responseLatency\n" +
					"| filter requestId in " + list + "\n" +
					"| sort @timestamp asc\n" +
					"| limit 10000"},
			insightsQuery{"these requests in the function's log (lines of retryscope's lambdalog middleware): a line means the function ran" + suffix, lambdaLogGroup,
				"fields @timestamp, lambda_request_id, apigw_request_id, attempt, status, duration_ms, error, @message\n" +
					"| filter apigw_request_id in " + list + "\n" +
					"| sort @timestamp asc\n" +
					"| limit 10000"},
		)
	}
	return qs
}

func quoteIDs(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = `"` + id + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}
