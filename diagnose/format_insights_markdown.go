package diagnose

import (
	"bytes"
	"strings"
)

// FormatInsightsMarkdown is Logs Insights results copied as a Markdown
// table: "| @timestamp | @message |", a "|---|---|" line, then one row per
// event ("\|" inside a cell is a "|" of the message).
const FormatInsightsMarkdown Format = "insights-markdown"

var insightsMarkdownFormat = tableFormat(FormatInsightsMarkdown, tableLayout{cells: markdownCells, separator: markdownSeparator},
	func(h *fileHead) bool {
		first := h.first()
		return bytes.HasPrefix(first, []byte("|")) && bytes.Contains(first, []byte("@")) &&
			len(h.lines) > 1 && markdownSeparator(h.lines[1])
	})

func markdownSeparator(line []byte) bool {
	l := bytes.TrimSpace(line)
	return len(l) > 2 && l[0] == '|' && len(bytes.Trim(l, "|-: ")) == 0
}

// markdownCells splits "| a | b |" at the pipes not escaped as "\|".
func markdownCells(line []byte) ([]string, bool) {
	l := bytes.TrimSpace(line)
	if len(l) < 2 || l[0] != '|' {
		return nil, false
	}
	l = l[1:]
	if bytes.HasSuffix(l, []byte("|")) && !bytes.HasSuffix(l, []byte(`\|`)) {
		l = l[:len(l)-1]
	}
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(l); i++ {
		switch {
		case l[i] == '\\' && i+1 < len(l) && l[i+1] == '|':
			cur.WriteByte('|')
			i++
		case l[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(l[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String())), true
}
