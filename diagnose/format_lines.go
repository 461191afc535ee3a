package diagnose

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// The plain log formats: one record per line, each line recognised by its
// content, with or without a leading timestamp. The first recognised line
// names the file's format.
const (
	// FormatAttemptLog is the transport's slog JSON attempt log.
	FormatAttemptLog Format = "attempt-log"
	// FormatAccessLog is API Gateway access-log JSON lines.
	FormatAccessLog Format = "access-log"
	// FormatExecutionLog is API Gateway execution-log lines, "(<requestId>)
	// text" or, in older exports, the text alone after a "Starting
	// execution for request: <id>" line; a header map or body may go on
	// over several lines.
	FormatExecutionLog Format = "execution-log"
	// FormatLambdaLog is a Lambda log: START/END/REPORT, INIT_START,
	// INIT_REPORT and lambdalog lines, the runtimes' own lines, and
	// Lambda's JSON log format (platform.start, platform.report, the init
	// phase's records, JSON application lines).
	FormatLambdaLog Format = "lambda-log"
)

var plainLinesFormat = fileFormat{
	name:   "",
	detect: func(*fileHead) bool { return true },
	read: func(e *Evidence, name string, br *bufio.Reader, sum *FileSummary, _ int) error {
		return e.readLines(name, br, sum)
	},
}

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

// stray is a line of no known kind seen before the file's format was known.
type stray struct {
	pos  Position
	kind lineKind
	text string
}

func (e *Evidence) readLines(name string, br *bufio.Reader, sum *FileSummary) error {
	lr := newLineReader(br, e.opts.MaxLineBytes)
	var pending []stray
	var firstLine string
	nonBlank := 0
	// An application's JSON log can hold the transport's attempt lines
	// anywhere: while every stray is a JSON object the file is read on,
	// the strays past the limit only counted.
	allJSON, extraJSON := true, 0
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		sum.Lines++
		pos := Position{File: name, Line: lr.line}
		if tooLong {
			e.addMalformed(pos, fmt.Sprintf("line longer than %d bytes", e.opts.MaxLineBytes), line)
			sum.Malformed++
			nonBlank++
			continue
		}
		p, perr := classifyLine(line)
		if p.kind == kindBlank {
			continue
		}
		nonBlank++
		if firstLine == "" {
			firstLine = excerpt(line)
		}
		if p.kind != kindExecution && p.time.IsZero() && e.continues("") {
			// A header map or body printed over several lines: its
			// lines have no prefix of their own, whatever they hold.
			e.addContinuation(line, LogLine{Position: pos, Text: excerpt(line)}, "")
			sum.Records++
			continue
		}
		if perr != nil {
			e.addMalformed(pos, perr.Error(), line)
			sum.Malformed++
			continue
		}
		if f := formatOf(p.kind); f != "" && e.add(p, LogLine{Position: pos, Text: excerpt(line), Time: p.time}, "") {
			if sum.Format == "" {
				sum.Format = f
				for _, s := range pending {
					e.countStray(sum, s)
				}
				pending = nil
				if strayIsMalformed(f, kindOtherJSON) {
					// Counted, not listed: the list is capped anyway.
					e.malformedCount += extraJSON
					sum.Malformed += extraJSON
				} else {
					sum.Ignored += extraJSON
				}
			}
			sum.Records++
			continue
		}
		// A line of no known kind, or an execution-log text with no
		// request before it to belong to (a function may print "HTTP
		// Method: GET" itself).
		kind := p.kind
		if kind == kindExecution {
			kind = kindOtherText
		}
		if sum.Format != "" {
			// Cut and scrubbed only when it is listed.
			if strayIsMalformed(sum.Format, kind) {
				e.addMalformed(pos, "not a "+string(sum.Format)+" line", line)
				sum.Malformed++
			} else {
				sum.Ignored++
			}
			continue
		}
		s := stray{pos: pos, kind: kind, text: excerpt(line)}
		allJSON = allJSON && s.kind == kindOtherJSON
		if len(pending) < undecidedLineLimit {
			pending = append(pending, s)
		} else {
			extraJSON++
		}
		if nonBlank >= undecidedLineLimit && !allJSON {
			break
		}
	}
	if sum.Format == "" {
		if nonBlank == 0 {
			sum.Format = FormatEmpty
			return nil
		}
		if sum.Malformed > 0 && len(pending) == 0 {
			// Every line was a damaged record of some kind: report
			// the damage rather than refuse the file.
			sum.Format = FormatMalformed
			return nil
		}
		return fmt.Errorf("%s: %w (first line: %q)", name, ErrUnknownFormat, firstLine)
	}
	return nil
}

func (e *Evidence) countStray(sum *FileSummary, s stray) {
	if strayIsMalformed(sum.Format, s.kind) {
		e.addMalformed(s.pos, "not a "+string(sum.Format)+" line", []byte(s.text))
		sum.Malformed++
		return
	}
	sum.Ignored++
}
