package diagnose

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/retryscope/retryscope/lambdalog"
)

// lineKind is what one log line (or export message) turned out to be.
type lineKind int

const (
	kindBlank      lineKind = iota
	kindAttempt             // transport attempt line
	kindAccess              // API Gateway access-log record
	kindExecution           // API Gateway execution-log line
	kindPlatform            // Lambda START/END/REPORT/Task timed out
	kindInvocation          // lambdalog line
	kindOtherJSON           // a JSON object of no known kind
	kindOtherText           // a text line of no known kind
)

// parsedLine is a classified line; only the field of its kind is set.
type parsedLine struct {
	kind       lineKind
	time       time.Time // from a timestamp prefix, zero when none
	attempt    attemptRecord
	access     accessRecord
	exec       executionLine
	platform   platformLine
	invocation lambdalog.Record
}

var errInvocationNoIDs = errors.New("lambdalog line without lambda_request_id or apigw_request_id")

// jsonProbe holds the keys that tell the JSON line kinds apart. They are
// kept raw: other loggers write some of them as numbers (pino's "level":30
// and "time":1795654800120), and such a line is still valid JSON of no
// known kind, not a damaged one.
type jsonProbe struct {
	Message    *json.RawMessage `json:"msg"`
	RequestID  *json.RawMessage `json:"requestId"`
	Type       *json.RawMessage `json:"type"`
	Record     *json.RawMessage `json:"record"`
	Time       *json.RawMessage `json:"time"`
	Level      *json.RawMessage `json:"level"`
	Status     *json.RawMessage `json:"status"`
	Timestamp  *json.RawMessage `json:"timestamp"`
	AppMessage *json.RawMessage `json:"message"`

	// AWSRequestID is where Java's runtime (and the
	// aws-lambda-java-log4j2 JSON layout) puts the request id of a
	// function's line (docs/aws-behaviour.md#runtimes-own-lines). encoding/json
	// matches keys regardless of case, so it also takes the awsRequestId
	// some Node loggers add.
	AWSRequestID *json.RawMessage `json:"AWSRequestId"`
}

// rawString returns a probed key's value when it is a JSON string.
func rawString(r *json.RawMessage) (string, bool) {
	if r == nil {
		return "", false
	}
	var s string
	if json.Unmarshal(*r, &s) != nil {
		return "", false
	}
	return s, true
}

// isLambdaAppRecord reports whether a probed object is a line of Lambda's
// JSON application log format: "timestamp", "level", "message" and
// "requestId", or Java's "AWSRequestId" (docs/aws-behaviour.md#file-shapes).
// The runtime adds the function's own keys next to them (Python's extra=,
// .NET's message properties), and one may be "status": the four keys still
// tell it from an access-log record, which never has a "level" and a
// "message" together with a "timestamp".
func (p *jsonProbe) isLambdaAppRecord() bool {
	if p.appRequestID() == nil || p.Level == nil {
		return false
	}
	return p.Status == nil || (p.Timestamp != nil && p.AppMessage != nil)
}

// appRequestID is the raw request id of a function's JSON line.
func (p *jsonProbe) appRequestID() *json.RawMessage {
	if p.RequestID != nil {
		return p.RequestID
	}
	return p.AWSRequestID
}

// classifyLine decides what line is and parses it. A non-nil error means
// the line looked like kind but could not be parsed: it is malformed.
func classifyLine(line []byte) (parsedLine, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return parsedLine{kind: kindBlank}, nil
	}
	t, rest := splitTimestamp(line)
	p, err := classifyBody(rest)
	if !t.IsZero() {
		p.time = t
	}
	return p, err
}

func classifyBody(line []byte) (parsedLine, error) {
	switch {
	case line[0] == '{' && opensJSONObject(line):
		return classifyJSON(line)
	case line[0] == '(':
		e, err := parseExecutionLine(line)
		return parsedLine{kind: kindExecution, exec: e}, err
	case isPlatformLine(line):
		pl, err := parsePlatformLine(line)
		return parsedLine{kind: kindPlatform, platform: pl}, err
	case isExecutionText(line):
		// An execution-log line without its "(id) " prefix: older
		// exports and the console's test invoke write them so.
		return parsedLine{kind: kindExecution, exec: parseExecutionText(line)}, nil
	}
	if pl, ok := parseAppLine(line); ok {
		return parsedLine{kind: kindPlatform, platform: pl}, nil
	}
	if pl, ok := parseRuntimeLine(line); ok {
		return parsedLine{kind: kindPlatform, platform: pl}, nil
	}
	if isXMLAccess(line) {
		a, err := parseXMLAccess(line)
		return parsedLine{kind: kindAccess, access: a}, err
	}
	if a, ok, err := parseCLFAccess(line); ok {
		return parsedLine{kind: kindAccess, access: a}, err
	}
	if a, ok, err := parseCSVAccess(line); ok {
		return parsedLine{kind: kindAccess, access: a}, err
	}
	return parsedLine{kind: kindOtherText}, nil
}

// opensJSONObject reports whether a line (or message) starting with '{'
// starts a JSON object: a key's quote or the object's end after any blanks
// and line breaks, or nothing more (a pretty-printed object's first line).
// A function's printed object is not one: Python's print(dict) quotes keys
// with ' and Node's console.log (util.inspect) leaves them bare ("{
// headers: ..."). Such a line is text, ignored in a Lambda log, not
// damaged JSON.
func opensJSONObject(line []byte) bool {
	rest := bytes.TrimLeft(line[1:], " \t\r\n")
	return len(rest) == 0 || rest[0] == '"' || rest[0] == '}'
}

func classifyJSON(line []byte) (parsedLine, error) {
	p, err := classifyJSONObject(line)
	if err != nil && p.kind == kindOtherJSON && bytes.Contains(line, []byte(`"requestId"`)) {
		// Not JSON, but it looks like an access-log record: perhaps its
		// format leaves variables unquoted, which logs their text bare
		// ("ip":203.0.113.7, a missing value as -). The repaired line is
		// taken only as an access-log record: the other JSON lines are
		// written by an encoder, and one that is not JSON is damaged.
		if quoted, ok := quoteBareValues(line); ok {
			if q, qerr := classifyJSONObject(quoted); q.kind == kindAccess {
				return q, qerr
			}
		}
	}
	return p, err
}

// classifyJSONObject is classifyJSON for the line as it is.
func classifyJSONObject(line []byte) (parsedLine, error) {
	// Fast path for access logs, the bulk of most inputs: one decode.
	if bytes.Contains(line, []byte(`"requestId"`)) && !bytes.Contains(line, []byte(`"msg"`)) && !bytes.Contains(line, []byte(`"record"`)) && !bytes.Contains(line, []byte(`"level"`)) {
		a, err := parseAccessRecord(line)
		if err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) || !json.Valid(line) {
				return parsedLine{kind: kindOtherJSON}, fmt.Errorf("invalid or truncated JSON: %w", err)
			}
		}
		return parsedLine{kind: kindAccess, access: a}, err
	}
	var probe jsonProbe
	if err := json.Unmarshal(line, &probe); err != nil {
		return parsedLine{kind: kindOtherJSON}, fmt.Errorf("invalid or truncated JSON: %w", err)
	}
	msg, _ := rawString(probe.Message)
	switch {
	case msg == "attempt":
		a, err := parseAttemptRecord(line)
		return parsedLine{kind: kindAttempt, attempt: a}, err
	case msg == lambdalog.RecordMessage:
		var r lambdalog.Record
		if err := json.Unmarshal(line, &r); err != nil {
			return parsedLine{kind: kindInvocation}, err
		}
		if r.LambdaRequestID == "" && r.APIGatewayRequestID == "" {
			return parsedLine{kind: kindInvocation}, errInvocationNoIDs
		}
		return parsedLine{kind: kindInvocation, invocation: r}, nil
	case probe.isLambdaAppRecord():
		// Lambda's JSON application log format: the function logged this
		// under its Lambda request id.
		var id string
		if err := json.Unmarshal(*probe.appRequestID(), &id); err != nil {
			return parsedLine{kind: kindPlatform}, errPlatformNoRequestID
		}
		if id == "" {
			// Logged outside any invocation: the Python runtime writes
			// "requestId": "" for what the function logs during init.
			return parsedLine{kind: kindPlatform, platform: platformLine{Event: platformRuntime}}, nil
		}
		p := parsedLine{kind: kindPlatform, platform: platformLine{Event: platformApp, RequestID: id}}
		if ts, ok := rawString(probe.Timestamp); ok {
			p.time, _ = parseTime(ts)
		}
		return p, nil
	case probe.RequestID != nil:
		a, err := parseAccessRecord(line)
		return parsedLine{kind: kindAccess, access: a}, err
	case probe.Type != nil && probe.Record != nil:
		typ, _ := rawString(probe.Type)
		var at *string
		if t, ok := rawString(probe.Time); ok {
			at = &t
		}
		return classifyLambdaJSONPlatform(typ, *probe.Record, at)
	}
	return parsedLine{kind: kindOtherJSON}, nil
}

// classifyLambdaJSONPlatform reads the platform events of Lambda's JSON log
// format ({"time":..,"type":"platform.start","record":{"requestId":..}}).
// The init phase's records (platform.initStart, platform.initRuntimeDone,
// platform.initReport) name no request: like the text format's INIT_START
// and INIT_REPORT lines they say when the log was written, and whether an
// init timed out.
func classifyLambdaJSONPlatform(typ string, raw json.RawMessage, at *string) (parsedLine, error) {
	var ev platformEvent
	switch typ {
	case "platform.start":
		ev = platformStart
	case "platform.report":
		ev = platformReport
	case "platform.runtimeDone":
		ev = platformEnd
	case "platform.initStart", "platform.initRuntimeDone", "platform.initReport":
		ev = platformInit
	default:
		return parsedLine{kind: kindOtherJSON}, nil
	}
	var rec struct {
		RequestID string `json:"requestId"`
		Status    string `json:"status"`
		Metrics   struct {
			DurationMS *float64 `json:"durationMs"`
		} `json:"metrics"`
		Tracing struct {
			Value string `json:"value"`
		} `json:"tracing"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return parsedLine{kind: kindPlatform}, err
	}
	if ev == platformInit {
		p := parsedLine{kind: kindPlatform, platform: platformLine{Event: platformInit, InitTimedOut: typ == "platform.initReport" && rec.Status == "timeout"}}
		if at != nil {
			p.time, _ = parseTime(*at)
		}
		return p, nil
	}
	if rec.RequestID == "" {
		return parsedLine{kind: kindPlatform}, errPlatformNoRequestID
	}
	p := parsedLine{kind: kindPlatform, platform: platformLine{Event: ev, RequestID: rec.RequestID, TimedOut: rec.Status == "timeout", TraceRoot: traceRoot(rec.Tracing.Value)}}
	if ev == platformReport && rec.Metrics.DurationMS != nil {
		p.platform.DurationMS, p.platform.HasDuration = *rec.Metrics.DurationMS, true
	}
	if at != nil {
		p.time, _ = parseTime(*at)
	}
	return p, nil
}
