package diagnose

import (
	"bufio"
	"bytes"
	"errors"
	"regexp"
)

// Format is a kind of input file, detected from its content.
type Format string

// The formats ReadFile detects.
const (
	// FormatEmpty is a file with no non-blank line.
	FormatEmpty Format = "empty"
	// FormatMalformed is a file whose every non-blank line looked like a
	// known kind but failed to parse (all are listed as malformed).
	FormatMalformed Format = "malformed"
	// FormatAttemptLog is the transport's slog JSON attempt log.
	FormatAttemptLog Format = "attempt-log"
	// FormatAccessLog is API Gateway access-log JSON lines.
	FormatAccessLog Format = "access-log"
	// FormatExecutionLog is API Gateway execution-log lines "(<requestId>) text".
	FormatExecutionLog Format = "execution-log"
	// FormatLambdaLog is a Lambda log: START/END/REPORT and lambdalog lines.
	FormatLambdaLog Format = "lambda-log"
	// FormatFilterLogEvents is `aws logs filter-log-events` JSON output
	// ({"events":[{"timestamp":..,"message":..}]}), any log kind inside.
	FormatFilterLogEvents Format = "filter-log-events"
	// FormatInsightsJSON is a CloudWatch Logs Insights export: a JSON array
	// of objects with @timestamp and @message, or `aws logs
	// get-query-results` output ({"results":[[{"field":..,"value":..}]]}).
	FormatInsightsJSON Format = "insights-json"
	// FormatInsightsCSV is a Logs Insights CSV export with a header row.
	FormatInsightsCSV Format = "insights-csv"
)

// ErrUnknownFormat is returned (wrapped, with the file name and its first
// line) by ReadFile when no line of the file's first 1000 non-blank lines is
// of a known kind (of any of its lines, when those are all JSON objects: an
// application's log may hold the transport's attempt lines anywhere).
var ErrUnknownFormat = errors.New("unknown log format")

// undecidedLineLimit is how many non-blank lines ReadFile reads before
// giving up on recognising a file, unless they are all JSON objects, and
// how many unrecognised lines it keeps until the format is known.
const undecidedLineLimit = 1000

// formatOf names the line-based format a file's first recognised line
// implies.
func formatOf(k lineKind) Format {
	switch k {
	case kindAttempt:
		return FormatAttemptLog
	case kindAccess:
		return FormatAccessLog
	case kindExecution:
		return FormatExecutionLog
	case kindPlatform, kindInvocation:
		return FormatLambdaLog
	}
	return ""
}

// strayIsMalformed reports whether a line of no known kind counts as
// malformed in a file of format f. Lambda logs hold the function's own
// output and attempt logs other slog records, so there such lines are
// ignored; anything else is damage.
func strayIsMalformed(f Format, k lineKind) bool {
	switch f {
	case FormatLambdaLog:
		return false
	case FormatAttemptLog:
		return k == kindOtherText
	}
	return true
}

var reDocumentStart = regexp.MustCompile(`^\s*\{\s*"(events|results|searchedLogStreams|nextToken|statistics|status)"\s*:`)

// container is how a file holds its lines.
type container int

const (
	containerLines container = iota
	containerDocument
	containerCSV
)

// sniffContainer peeks at the start of the file.
func sniffContainer(br *bufio.Reader) container {
	head, _ := br.Peek(64 << 10)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return containerLines
	}
	switch {
	case trimmed[0] == '[':
		return containerDocument
	case reDocumentStart.Match(trimmed):
		return containerDocument
	case trimmed[0] == '{':
		first := trimmed
		if i := bytes.IndexByte(first, '\n'); i >= 0 {
			first = first[:i]
		}
		if bytes.Equal(bytes.TrimSpace(first), []byte("{")) {
			return containerDocument
		}
		return containerLines
	}
	first := trimmed
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	if bytes.Contains(first, []byte("@message")) || (bytes.Contains(first, []byte("@timestamp")) && bytes.Contains(first, []byte(","))) {
		return containerCSV
	}
	return containerLines
}
