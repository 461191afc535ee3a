package diagnose

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
)

// executionEvent is what an execution-log line says, among the texts of
// AWS-FACTS section 3.
type executionEvent int

const (
	execOther              executionEvent = iota // any other text
	execStarting                                 // Starting execution for request: ...
	execSending                                  // Sending request to https://lambda...
	execReceived                                 // Received response. Integration latency: 5 ms
	execTimeout                                  // Execution failed due to a timeout error
	execFunctionError                            // Lambda execution failed with status 200 due to customer function error: ...
	execMalformedProxy                           // Execution failed due to configuration error: Malformed Lambda proxy response
	execConfigurationError                       // Execution failed due to configuration error: <other>
	execInvocationFailed                         // Lambda invocation failed with status: 429. Lambda request id: <id>
	execMethodCompleted                          // Method completed with status: 504
)

// executionLine is one parsed execution-log line.
type executionLine struct {
	RequestID       string
	Event           executionEvent
	Status          int     // execFunctionError, execInvocationFailed, execMethodCompleted
	LatencyMS       float64 // execReceived
	LambdaRequestID string  // execFunctionError, execInvocationFailed
}

var (
	errExecNoRequestID = errors.New("execution-log line without a (requestId) prefix")

	reReceived         = regexp.MustCompile(`^Received response\. Integration latency: ([0-9]+(?:\.[0-9]+)?) ms`)
	reFunctionError    = regexp.MustCompile(`^Lambda execution failed with status ([0-9]{3}) due to customer function error: .*\. Lambda request id: ([0-9A-Za-z-]+)\s*$`)
	reFunctionErrorAny = regexp.MustCompile(`^Lambda execution failed with status ([0-9]{3}) due to customer function error`)
	reInvocationFailed = regexp.MustCompile(`^Lambda invocation failed with status: ([0-9]{3})\.?(?: Lambda request id: ([0-9A-Za-z-]+))?`)
	reMethodCompleted  = regexp.MustCompile(`^Method completed with status: ([0-9]{3})`)
)

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
	e := executionLine{RequestID: string(id)}
	text := bytes.TrimSpace(line[end+1:])
	switch {
	case bytes.HasPrefix(text, []byte("Starting execution for request")):
		e.Event = execStarting
	case bytes.HasPrefix(text, []byte("Sending request to ")):
		e.Event = execSending
	case bytes.HasPrefix(text, []byte("Received response.")):
		e.Event = execReceived
		if m := reReceived.FindSubmatch(text); m != nil {
			e.LatencyMS, _ = strconv.ParseFloat(string(m[1]), 64)
		}
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
	return e, nil
}
