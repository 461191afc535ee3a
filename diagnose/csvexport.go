package diagnose

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// lineBoundReader fails once any line, or any record, exceeds limit bytes,
// so a CSV reader on top of it never buffers an unbounded record: a quoted
// field may hold any number of short lines (a multi-line log message), and
// csv.Reader keeps the whole record. readCSV sets recordStart after each
// record it reads.
type lineBoundReader struct {
	r           io.Reader
	current     int
	limit       int
	read        int64 // bytes passed to the CSV reader
	recordStart int64 // offset of the end of the last record read
	err         error // errCSVLineTooLong once the bound is passed
}

var errCSVLineTooLong = errors.New("CSV line longer than the line bound")

// csvReadAhead is how far csv.Reader's own buffer may read past the record
// it is parsing.
const csvReadAhead = 64 << 10

// Read passes bytes through up to the first line that passes the bound;
// the lines before it are still read, then every call fails.
func (l *lineBoundReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.read-l.recordStart > int64(l.limit)+csvReadAhead {
		l.err = errCSVLineTooLong
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			l.current = 0
			continue
		}
		l.current++
		if l.current > l.limit {
			l.err = errCSVLineTooLong
			l.read += int64(i)
			return i, nil
		}
	}
	l.read += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &readError{err}
	}
	return n, err
}

// FormatInsightsCSV is a CSV export with a header row: Logs Insights'
// (@timestamp,@message,... or the fields a query selected) or the
// CloudWatch console's download of a log stream (timestamp,message).
const FormatInsightsCSV Format = "insights-csv"

var csvExportFormat = fileFormat{
	name: FormatInsightsCSV,
	detect: func(h *fileHead) bool {
		first := bytes.ToLower(h.first())
		if bytes.Contains(first, []byte("@message")) || (bytes.Contains(first, []byte("@timestamp")) && bytes.Contains(first, []byte(","))) {
			return true
		}
		return reConsoleCSVHeader.Match(first)
	},
	read: func(e *Evidence, name string, br *bufio.Reader, sum *FileSummary, _ int) error {
		return e.readCSV(name, br, sum)
	},
}

// reConsoleCSVHeader is the console download's header row.
var reConsoleCSVHeader = regexp.MustCompile(`^"?timestamp"?,"?message"?(,|$)`)

// csvColumn maps the console download's column names to Logs Insights'.
func csvColumn(name string) string {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "timestamp":
		return "@timestamp"
	case "message":
		return "@message"
	case "logstreamname", "log stream name":
		return "@logStream"
	}
	return name
}

func (e *Evidence) readCSV(name string, br *bufio.Reader, sum *FileSummary) error {
	bound := &lineBoundReader{r: br, limit: e.opts.MaxLineBytes}
	cr := csv.NewReader(bound)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: %w (unreadable CSV header: %v)", name, ErrUnknownFormat, err)
	}
	bound.recordStart = cr.InputOffset()
	columns := append([]string(nil), header...)
	if len(header) >= 2 && strings.EqualFold(strings.TrimSpace(header[0]), "timestamp") && strings.EqualFold(strings.TrimSpace(header[1]), "message") {
		for i, c := range header {
			columns[i] = csvColumn(c)
		}
	}
	lastLine := 1
	for {
		rec, err := cr.Read()
		bound.recordStart = cr.InputOffset()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var readErr *readError
		if errors.As(err, &readErr) {
			return fmt.Errorf("%s: %w", name, err)
		}
		sum.Lines++
		pos := Position{File: name, Line: lastLine + 1}
		if err == nil && len(rec) > 0 {
			pos.Line, _ = cr.FieldPos(0)
		}
		lastLine = pos.Line
		if err != nil {
			var parseErr *csv.ParseError
			if errors.As(err, &parseErr) {
				pos.Line = parseErr.StartLine
			}
			if errors.Is(err, errCSVLineTooLong) {
				// A csv.Reader cannot skip a line: the rest is lost, and said so.
				e.addMalformed(pos, fmt.Sprintf("CSV line or record longer than %d bytes; the rest of the file is not read", e.opts.MaxLineBytes), nil)
				sum.Malformed++
				return nil
			}
			e.addMalformed(pos, err.Error(), nil)
			sum.Malformed++
			if rec == nil {
				continue
			}
		}
		row := make(map[string]json.RawMessage, len(columns))
		for i, v := range rec {
			if i < len(columns) {
				b, _ := json.Marshal(v)
				row[columns[i]] = b
			}
		}
		(&documentReader{e: e, name: name, sum: sum}).insightsRow(pos, row)
	}
}
