package diagnose

import (
	"bufio"
	"bytes"
	"strings"
)

// FormatInsightsTSV is Logs Insights results copied as tab-separated text:
// a header row of field names ("@timestamp\t@message"), then one row per
// event.
const FormatInsightsTSV Format = "insights-tsv"

var tsvTable = tableLayout{cells: tsvCells}

var insightsTSVFormat = fileFormat{
	name: FormatInsightsTSV,
	detect: func(h *fileHead) bool {
		first := h.first()
		return bytes.Contains(first, []byte("\t")) && bytes.HasPrefix(first, []byte("@")) && !bytes.Contains(first, []byte(" "))
	},
	read: func(e *Evidence, name string, br *bufio.Reader, sum *FileSummary, _ int) error {
		return e.readTable(name, br, sum, tsvTable)
	},
}

func tsvCells(line []byte) ([]string, bool) {
	if !bytes.Contains(line, []byte("\t")) {
		return nil, false
	}
	return strings.Split(string(line), "\t"), true
}
