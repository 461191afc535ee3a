package diagnose

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
)

// executionEvent is what an execution-log line says. API Gateway's wording
// has changed over the years; docs/aws-behaviour.md#execution-logs lists
// the wordings read here and where they are published.
type executionEvent int

const (
	execOther              executionEvent = iota // any other text
	execStarting                                 // Starting execution for request: ...
	execSending                                  // Sending request to https://lambda... (older: Endpoint request URI: https://lambda...)
	execReceived                                 // Received response. [Status: 200, ]Integration latency: 5 ms
	execTimeout                                  // Execution failed due to a timeout error
	execFunctionError                            // Lambda execution failed with status 200 due to customer function error: ...
	execMalformedProxy                           // Execution failed due to configuration error: Malformed Lambda proxy response
	execConfigurationError                       // Execution failed due to configuration error: <other>
	execInvocationFailed                         // Lambda invocation failed with status: 429. Lambda request id: <id>
	execMethodCompleted                          // Method completed with status: 504
	execResponseHeaders                          // Endpoint response headers: {..., x-amzn-RequestId=<Lambda id>, ...}
	execResponseBody                             // Endpoint response body before transformations: ...
	execCompleted                                // Successfully completed execution
	execLogHeader                                // Execution log for request <id> (the console's test invoke)
	execAuthorizerStart                          // Starting authorizer: ... (a Lambda authorizer's own call follows)
	execAuthorizerEnd                            // Successfully completed authorizer execution, Authorizer result body ..., ...
)

// executionLine is one parsed execution-log line (or one log event, whose
// text may span lines).
type executionLine struct {
	// RequestID is the "(id) " prefix, or the id a "Starting execution"
	// or "Execution log for request" line names; "" for an unprefixed line
	// that names none (the reader fills it from the lines before).
	RequestID string
	Event     executionEvent
	Status    int     // execFunctionError, execInvocationFailed, execMethodCompleted, execReceived (Lambda's status)
	LatencyMS float64 // execReceived
	// LambdaRequestID: execFunctionError, execInvocationFailed, and
	// execResponseHeaders (x-amzn-RequestId of Lambda's answer).
	LambdaRequestID string
	// Signals are what the text (or a continuation of it) says about
	// Lambda's answer.
	Signals endpointSignals
	// Prefixed is true when the line carried its "(id) " prefix.
	Prefixed bool
}

var (
	errExecNoRequestID = errors.New("execution-log line without a (requestId) prefix")

	reReceived         = regexp.MustCompile(`^Received response\.\s*(?:Status:\s*([0-9]{3}),?\s*)?Integration latency:\s*([0-9]+(?:\.[0-9]+)?)\s*ms`)
	reFunctionError    = regexp.MustCompile(`^Lambda execution failed with status ([0-9]{3}) due to customer function error: (?s:.*)\. Lambda request id: ([0-9A-Za-z-]+)\s*$`)
	reFunctionErrorAny = regexp.MustCompile(`^Lambda execution failed with status ([0-9]{3}) due to customer function error`)
	reInvocationFailed = regexp.MustCompile(`^Lambda invocation failed with status: ([0-9]{3})\.?(?: Lambda request id: ([0-9A-Za-z-]+))?`)
	reMethodCompleted  = regexp.MustCompile(`^Method completed with status: ([0-9]{3})`)
	reNamedRequest     = regexp.MustCompile(`^(?:Starting execution for request:?|Execution log for request)\s+([0-9A-Za-z-]{1,128})`)
)

// executionPhrases start the texts API Gateway writes in execution logs;
// an unprefixed line starting with one of them is an execution-log line.
var executionPhrases = [][]byte{
	[]byte("Starting execution for request"), []byte("Execution log for request"),
	[]byte("HTTP Method: "), []byte("Method request "), []byte("Endpoint request "),
	[]byte("Sending request to "), []byte("Received response."), []byte("Endpoint response "),
	[]byte("Method response "), []byte("Successfully completed execution"), []byte("Method completed with status"),
	[]byte("Execution failed due to"), []byte("Lambda execution failed with status"), []byte("Lambda invocation failed with status"),
	[]byte("Extended Request Id: "), []byte("API Key: "), []byte("API Key ID: "), []byte("Verifying Usage Plan"),
	[]byte("Usage Plan check succeeded"), []byte("Gateway response "),
	[]byte("Starting authorizer"), []byte("Incoming identity"), []byte("Authorizer "), []byte("Using valid authorizer"),
	[]byte("Successfully completed authorizer"),
}

// isExecutionText reports whether an unprefixed text is one API Gateway
// writes in its execution logs.
func isExecutionText(text []byte) bool {
	for _, p := range executionPhrases {
		if bytes.HasPrefix(text, p) {
			return true
		}
	}
	return false
}

// parseExecutionLine parses "(<requestId>) <text>" with any timestamp
// already removed.
func parseExecutionLine(line []byte) (executionLine, error) {
	if len(line) < 3 || line[0] != '(' {
		return executionLine{}, errExecNoRequestID
	}
	end := bytes.IndexByte(line, ')')
	if end < 2 || end > 130 {
		return executionLine{}, errExecNoRequestID
	}
	id := line[1:end]
	if bytes.ContainsAny(id, " \t(") {
		return executionLine{}, errExecNoRequestID
	}
	e := parseExecutionText(bytes.TrimSpace(line[end+1:]))
	e.RequestID, e.Prefixed = string(id), true
	return e, nil
}

// parseExecutionText reads the text of an execution-log line (prefix
// removed, or an unprefixed line).
func parseExecutionText(text []byte) executionLine {
	var e executionLine
	if m := reNamedRequest.FindSubmatch(text); m != nil {
		e.RequestID = string(m[1])
	}
	switch {
	case bytes.HasPrefix(text, []byte("Starting authorizer")):
		e.Event = execAuthorizerStart
	case bytes.HasPrefix(text, []byte("Successfully completed authorizer")), bytes.HasPrefix(text, []byte("Authorizer result body")),
		bytes.HasPrefix(text, []byte("Using valid authorizer policy")), bytes.HasPrefix(text, []byte("Execution failed due to configuration error: Authorizer error")):
		e.Event = execAuthorizerEnd
	case bytes.HasPrefix(text, []byte("Starting execution for request")):
		e.Event = execStarting
	case bytes.HasPrefix(text, []byte("Execution log for request")):
		e.Event = execLogHeader
	case bytes.HasPrefix(text, []byte("Sending request to ")):
		e.Event = execSending
	case bytes.HasPrefix(text, []byte("Endpoint request URI:")):
		// The wording before 2018 for the same step.
		e.Event = execSending
	case bytes.HasPrefix(text, []byte("Received response.")):
		e.Event = execReceived
		if m := reReceived.FindSubmatch(text); m != nil {
			e.Status, _ = strconv.Atoi(string(m[1]))
			e.LatencyMS, _ = strconv.ParseFloat(string(m[2]), 64)
		}
	case bytes.HasPrefix(text, []byte("Endpoint response headers:")):
		e.Event = execResponseHeaders
		e.Signals = scanEndpointText(text, true)
		e.LambdaRequestID = e.Signals.lambdaRequestID
	case bytes.HasPrefix(text, []byte("Endpoint response body before transformations:")):
		e.Event = execResponseBody
		e.Signals = scanEndpointText(text, false)
	case bytes.HasPrefix(text, []byte("Successfully completed execution")):
		e.Event = execCompleted
	case bytes.HasPrefix(text, []byte("Execution failed due to a timeout error")):
		e.Event = execTimeout
	case bytes.HasPrefix(text, []byte("Lambda execution failed with status")):
		e.Event = execFunctionError
		if m := reFunctionError.FindSubmatch(text); m != nil {
			e.Status, _ = strconv.Atoi(string(m[1]))
			e.LambdaRequestID = string(m[2])
		} else if m := reFunctionErrorAny.FindSubmatch(text); m != nil {
			e.Status, _ = strconv.Atoi(string(m[1]))
		}
	case bytes.HasPrefix(text, []byte("Execution failed due to configuration error: Malformed Lambda proxy response")):
		e.Event = execMalformedProxy
	case bytes.HasPrefix(text, []byte("Execution failed due to configuration error")):
		e.Event = execConfigurationError
		e.Signals = scanConfigurationError(text)
	case bytes.HasPrefix(text, []byte("Lambda invocation failed with status")):
		e.Event = execInvocationFailed
		if m := reInvocationFailed.FindSubmatch(text); m != nil {
			e.Status, _ = strconv.Atoi(string(m[1]))
			e.LambdaRequestID = string(m[2])
		}
	case bytes.HasPrefix(text, []byte("Method completed with status")):
		e.Event = execMethodCompleted
		if m := reMethodCompleted.FindSubmatch(text); m != nil {
			e.Status, _ = strconv.Atoi(string(m[1]))
		}
	}
	return e
}

// continues reports whether an event's text may go on over the following
// lines: headers and bodies are printed as they came, newlines included.
func (ev executionEvent) continues() bool {
	return ev == execResponseHeaders || ev == execResponseBody || ev == execOther
}
