package diagnose

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// lineBoundReader fails once any line exceeds limit bytes, so a CSV reader
// on top of it never buffers an unbounded record line.
type lineBoundReader struct {
	r       io.Reader
	current int
	limit   int
	err     error // errCSVLineTooLong once the bound is passed
}

var errCSVLineTooLong = errors.New("CSV line longer than the line bound")

// Read passes bytes through up to the first line that passes the bound;
// the lines before it are still read, then every call fails.
func (l *lineBoundReader) Read(p []byte) (int, error) {
	if l.err != nil {
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
			return i, nil
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = &readError{err}
	}
	return n, err
}

func (e *Evidence) readCSV(name string, br *bufio.Reader, sum *FileSummary) error {
	cr := csv.NewReader(&lineBoundReader{r: br, limit: e.opts.MaxLineBytes})
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: %w (unreadable CSV header: %v)", name, ErrUnknownFormat, err)
	}
	columns := append([]string(nil), header...)
	sum.Format = FormatInsightsCSV
	lastLine := 1
	for {
		rec, err := cr.Read()
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
				e.addMalformed(pos, fmt.Sprintf("CSV line longer than %d bytes; the rest of the file is not read", e.opts.MaxLineBytes), nil)
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
