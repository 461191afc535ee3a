package diagnose

import (
	"fmt"
	"time"
)

// Position names one line of one input: File as given to ReadFile, Line
// 1-based. For JSON exports Line is the line where the element starts.
type Position struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// String formats p as file:line.
func (p Position) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// LogLine is a remembered log line: where it was, what it said (cut to 240
// bytes), and its timestamp when the line or its export carried one (zero
// otherwise).
type LogLine struct {
	Position
	Text string    `json:"text"`
	Time time.Time `json:"time,omitzero"`
}

// Malformed is a line that looked like one of the known formats but could
// not be parsed (truncated JSON, a START line without an id, a line over the
// length bound). Text is the line cut to 240 bytes.
type Malformed struct {
	Position
	Problem string `json:"problem"`
	Text    string `json:"text"`
}
