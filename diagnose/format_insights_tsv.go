package diagnose

import (
	"bytes"
	"strings"
)

// FormatInsightsTSV is Logs Insights results copied as tab-separated text:
// a header row of field names ("@timestamp\t@message"), then one row per
// event.
const FormatInsightsTSV Format = "insights-tsv"

var insightsTSVFormat = tableFormat(FormatInsightsTSV, tableLayout{cells: tsvCells}, func(h *fileHead) bool {
	first := h.first()
	return bytes.Contains(first, []byte("\t")) && bytes.HasPrefix(first, []byte("@")) && !bytes.Contains(first, []byte(" "))
})

func tsvCells(line []byte) ([]string, bool) {
	if !bytes.Contains(line, []byte("\t")) {
		return nil, false
	}
	return strings.Split(string(line), "\t"), true
}
