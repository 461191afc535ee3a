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
}

var errCSVLineTooLong = errors.New("CSV line longer than the line bound")

func (l *lineBoundReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.current = 0
			continue
		}
		l.current++
		if l.current > l.limit {
			return 0, errCSVLineTooLong
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
		line, _ := cr.FieldPos(0)
		pos := Position{File: name, Line: line}
		if err != nil {
			var parseErr *csv.ParseError
			if errors.As(err, &parseErr) {
				pos.Line = parseErr.StartLine
			}
			e.addMalformed(pos, err.Error(), nil)
			sum.Malformed++
			if errors.Is(err, errCSVLineTooLong) || rec == nil {
				// the reader cannot continue past a read error.
				if errors.Is(err, errCSVLineTooLong) {
					return nil
				}
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
