package diagnose

import (
	"bufio"
	"bytes"
	"errors"
)

// Format is a kind of input file, detected from its content.
type Format string

// The formats every file may turn out to be; each wrapper format (an export,
// a copy, a CLI's output) is declared in its own file next to its reader.
const (
	// FormatEmpty is a file with no non-blank line.
	FormatEmpty Format = "empty"
	// FormatMalformed is a file whose every non-blank line looked like a
	// known kind but failed to parse (all are listed as malformed).
	FormatMalformed Format = "malformed"
	// FormatUnreadable is a file that could not be read at all (it could
	// not be opened, its format is unknown, or reading it failed);
	// FileSummary.Error says why.
	FormatUnreadable Format = "unreadable"
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

// fileFormat is one row of the format table: how to recognise a file from
// its start, and how to read it. Adding a format is one file declaring its
// Format, detect and read, and one row in formats.
type fileFormat struct {
	name Format
	// detect looks at the file's start.
	detect func(h *fileHead) bool
	// read streams the file into e; sum.Format is preset to name (the
	// plain line formats refine it).
	read func(e *Evidence, name string, br *bufio.Reader, sum *FileSummary, depth int) error
}

// formats is the table, most specific first; the last row (plain log
// lines, each recognised by its content) takes every file. It is set in
// init because readers of nested formats consult it.
var formats []fileFormat

func init() { formats = formatTable() }

func formatTable() []fileFormat {
	return []fileFormat{
		subscriptionBase64Format,
		jsonDocumentFormat,
		insightsMarkdownFormat,
		insightsTSVFormat,
		csvExportFormat,
		testInvokeFormat,
		cliTextFormat,
		logsTailFormat,
		samLogsFormat,
		consoleCopyFormat,
		plainLinesFormat,
	}
}

// headBytes is how much of a file detection may look at.
const headBytes = 64 << 10

// fileHead is the start of a file: its first bytes and first non-blank
// lines (cut at headBytes).
type fileHead struct {
	raw   []byte
	lines [][]byte
}

func (h *fileHead) first() []byte {
	if len(h.lines) == 0 {
		return nil
	}
	return h.lines[0]
}

// headLines is how many non-blank lines detection sees.
const headLines = 20

func peekHead(br *bufio.Reader) *fileHead {
	raw, _ := br.Peek(headBytes)
	h := &fileHead{raw: bytes.TrimLeft(raw, " \t\r\n")}
	rest := h.raw
	for len(rest) > 0 && len(h.lines) < headLines {
		line, tail, found := bytes.Cut(rest, []byte("\n"))
		if !found && len(raw) == headBytes {
			// Cut by the peek. A first line longer than the peek (a
			// function that logged a large payload first) still shows
			// how its lines are framed by its start: without it no
			// format would see any line, and a framed export would be
			// read as plain lines, its prefixes unrecognised.
			if line = bytes.TrimRight(headLine(line), " \t\r"); len(h.lines) == 0 && len(line) > 0 {
				h.lines = append(h.lines, line)
			}
			break
		}
		rest = tail
		if line = bytes.TrimRight(headLine(line), " \t\r"); len(line) > 0 {
			h.lines = append(h.lines, line)
		}
	}
	return h
}

// headLine is a line of the head as the readers will see it: without
// terminal colour sequences (see stripSGR), which are removed from a copy,
// the peeked bytes being the reader's own buffer.
func headLine(line []byte) []byte {
	if bytes.IndexByte(line, 0x1b) < 0 {
		return line
	}
	return stripSGR(bytes.Clone(line))
}

// detectFormat returns the table row that takes a file.
func detectFormat(h *fileHead) fileFormat {
	for _, f := range formats {
		if f.detect(h) {
			return f
		}
	}
	return plainLinesFormat
}

// firstLineSplits reports whether the first non-blank line that is not a
// header (skip) or a shell prompt is taken apart by split.
func firstLineSplits(h *fileHead, skip, split func([]byte) bool) bool {
	for _, l := range h.lines {
		if (skip != nil && skip(l)) || isPromptLine(l) {
			continue
		}
		return split(l)
	}
	return false
}

// isPromptLine reports a shell prompt or command line, as a pasted CLI
// transcript starts with ("$ aws logs tail ...").
func isPromptLine(l []byte) bool {
	for _, p := range []string{"$ ", "% ", "> ", "PS ", "aws ", "sam "} {
		if bytes.HasPrefix(l, []byte(p)) {
			return true
		}
	}
	return false
}
