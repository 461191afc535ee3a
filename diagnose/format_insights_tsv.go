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
	// A header row of field names, "@timestamp\t@message" (a row-number
	// column may come first).
	cells, ok := tsvCells(h.first())
	if !ok {
		return false
	}
	named := false
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if strings.Contains(c, " ") && !strings.EqualFold(c, "log stream name") {
			return false
		}
		named = named || strings.HasPrefix(c, "@")
	}
	return named
})

func tsvCells(line []byte) ([]string, bool) {
	if !bytes.Contains(line, []byte("\t")) {
		return nil, false
	}
	return strings.Split(string(line), "\t"), true
}
