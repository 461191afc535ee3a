package diagnose

import (
	"bufio"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// tableLayout takes apart the rows of a results table copied as text
// (Logs Insights results as Markdown or TSV).
type tableLayout struct {
	// cells splits a line into cells; ok false means the line continues
	// the last cell of the row before (a message over several lines).
	cells func(line []byte) (cells []string, ok bool)
	// separator reports a line that only draws the table ("|---|---|").
	separator func(line []byte) bool
}

// tableFormat is the table row of a results table laid out as t.
func tableFormat(name Format, t tableLayout, detect func(*fileHead) bool) fileFormat {
	return fileFormat{
		name:   name,
		detect: detect,
		read: func(e *Evidence, file string, br *bufio.Reader, sum *FileSummary, _ int) error {
			return e.readTable(file, br, sum, t)
		},
	}
}

// readTable reads a header row naming the columns, then one row per line;
// each row is handled as a Logs Insights row (@message, or the selected
// fields).
func (e *Evidence) readTable(name string, br *bufio.Reader, sum *FileSummary, t tableLayout) error {
	var columns []string
	var row []string
	var rowPos Position
	rowBytes := 0
	d := &documentReader{e: e, name: name, sum: sum}
	flush := func() {
		if row == nil {
			return
		}
		if rowBytes > e.opts.MaxLineBytes {
			e.addMalformed(rowPos, fmt.Sprintf("row longer than %d bytes", e.opts.MaxLineBytes), nil)
			sum.Malformed++
		} else {
			row = joinMessageCells(columns, row)
			m := make(map[string]json.RawMessage, len(columns))
			for i, c := range row {
				if i < len(columns) {
					b, _ := json.Marshal(c)
					m[columns[i]] = b
				}
			}
			d.insightsRow(rowPos, m)
		}
		row, rowBytes = nil, 0
	}
	return e.scanLines(name, br, sum, flush, func(pos Position, line []byte) error {
		if len(strings.TrimSpace(string(line))) == 0 || (t.separator != nil && t.separator(line)) {
			return nil
		}
		cells, ok := t.cells(line)
		switch {
		case columns == nil:
			if !ok {
				return fmt.Errorf("%s: %w (a table without a header row)", name, ErrUnknownFormat)
			}
			for _, c := range cells {
				columns = append(columns, csvColumn(c))
			}
		case !ok || (len(cells) < len(columns) && row != nil && !startsWithTime(cells)):
			// A message over several lines goes on in the last cell.
			if row == nil {
				sum.Ignored++
				return nil
			}
			rowBytes += len(line) + 1
			if rowBytes <= e.opts.MaxLineBytes {
				row[len(row)-1] += "\n" + string(line)
			}
		default:
			flush()
			row, rowPos, rowBytes = cells, pos, len(line)
		}
		return nil
	})
}

// joinMessageCells gives the cells a row has beyond the header's columns
// back to the @message column: a message may hold tabs of its own (Lambda's
// REPORT lines and the runtimes' "<time>\t<id>\tINFO\t<text>" lines do),
// which a tab-separated copy cannot tell from its separators, while the
// other columns (@timestamp, @logStream, @log) never do.
func joinMessageCells(columns, row []string) []string {
	extra := len(row) - len(columns)
	if extra <= 0 {
		return row
	}
	m := slices.Index(columns, "@message")
	if m < 0 {
		return row
	}
	joined := append(append([]string(nil), row[:m]...), strings.Join(row[m:m+extra+1], "\t"))
	return append(joined, row[m+extra+1:]...)
}

func startsWithTime(cells []string) bool {
	if len(cells) == 0 {
		return false
	}
	_, ok := parseTime(cells[0])
	return ok
}
