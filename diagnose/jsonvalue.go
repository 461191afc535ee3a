package diagnose

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// logValue is an access-log field: access-log formats write every variable
// as a JSON string ("504"), some as bare numbers, and "-" for absent (a
// bare - or other bare text is quoted first, see quoteBareValues). set
// records that the key was in the record at all.
type logValue struct {
	text string
	set  bool
}

func (v *logValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	v.set = true
	switch {
	case bytes.Equal(b, []byte("null")):
		v.text = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v.text = s
	default:
		// numbers and booleans: keep their text.
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			if bytes.Equal(b, []byte("true")) || bytes.Equal(b, []byte("false")) {
				v.text = string(b)
				return nil
			}
			return err
		}
		v.text = string(n)
	}
	return nil
}

// str returns the value with "-" (absent) as "".
func (v logValue) str() string {
	s := strings.TrimSpace(v.text)
	if s == "-" {
		return ""
	}
	return s
}

// number returns the value as a number and whether there was one.
func (v logValue) number() (float64, bool) {
	s := v.str()
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// integer returns the value as an int, 0 when absent or not a number.
func (v logValue) integer() int {
	f, ok := v.number()
	if !ok || f < 0 || f > 1e9 {
		return 0
	}
	return int(f)
}

// quoteBareValues repairs an access-log line written by a format that
// leaves $context variables unquoted. API Gateway puts each variable's
// text where the variable stands (docs/aws-behaviour.md#access-logs), so
// "ip":$context.identity.sourceIp logs `"ip":203.0.113.7`, and a missing
// value logs `"integrationLatency":-`: neither is JSON. It returns line
// with every bare object-member value that is not a JSON value put in
// quotes as a JSON string ('"' and '\' escaped, control bytes as \u00XX),
// and true when it changed something and the result is valid JSON.
// Otherwise it returns line unchanged and false: a line that is JSON
// already, and one the repair cannot make JSON (truncated, unbalanced
// braces, a key left unquoted).
//
// A bare value is what follows a member's ':' when it does not start a
// string, object or array. It is kept as it is when it is a JSON number,
// true, false or null ("status":504). It ends, white space around it
// left out, at the first ',' followed by a member's key ("name" and ':')
// or by '}', or at the first '}' that closes its object: for the
// record's own object a '}' with only white space after it, for a nested
// one a '}' followed by ',', '}' or ']'. A ',' or '}' followed by anything
// else is part of the value, as the comma of a user agent "Mozilla/5.0
// (KHTML, like Gecko)" is. The repair gives up when the value never ends
// (the line stops first, or leaves a nested object open), when a '}' in it
// would close the record's object before the line ends or is followed by
// '{', '[' or '"', and when the value holds the start of another record
// ('{' and a key): that is two lines run together, not one variable's
// text.
//
// It is one pass over line plus, at each ',' or '}' inside a bare value,
// a look at the white space and the key that follow, and no byte is the
// start of more than one such key: the work is linear in the line's
// length. It allocates only when it quotes something.
func quoteBareValues(line []byte) ([]byte, bool) {
	s := bareValueScan{line: line}
	return s.repair()
}

// bareValueScan is the state of quoteBareValues over one line. scanned
// counts the bytes it looked at, so a test can hold it to a linear bound.
type bareValueScan struct {
	line    []byte
	scanned int
}

func (s *bareValueScan) repair() ([]byte, bool) {
	line := s.line
	var out []byte
	copied := 0 // line[:copied] is in out
	depth := 0  // open objects and arrays
	inString, escaped, wantValue := false, false, false
	for i := 0; i < len(line); i++ {
		s.scanned++
		c := line[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if isJSONSpace(c) {
			continue
		}
		if wantValue && c != '"' && c != '{' && c != '[' {
			end, next, ok := s.bareValueEnd(i, depth)
			if !ok {
				return line, false
			}
			if !isJSONScalar(line[i:end]) {
				if out == nil {
					out = make([]byte, 0, len(line)+len(line)/8+16)
				}
				out = appendJSONString(append(out, line[copied:i]...), line[i:end])
				copied = end
			}
			wantValue = false
			i = next - 1 // the ',' or '}' that ends the value is next
			continue
		}
		wantValue = false
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ':':
			wantValue = true
		}
	}
	if out == nil {
		return line, false
	}
	out = append(out, line[copied:]...)
	if !json.Valid(out) {
		return line, false
	}
	return out, true
}

// bareValueEnd finds the end of the bare value that starts at line[start],
// inside depth open objects and arrays: end is where the value's text
// stops (trailing white space left out) and next is the index of the ','
// or '}' after it. ok is false when the value has no end the repair can
// trust.
func (s *bareValueScan) bareValueEnd(start, depth int) (end, next int, ok bool) {
	line := s.line
	if depth < 1 {
		return 0, 0, false
	}
	for j := start; j < len(line); j++ {
		s.scanned++
		switch line[j] {
		case ',':
			k := s.skipSpace(j + 1)
			if k < len(line) && (line[k] == '}' || s.isKey(k)) {
				return trimJSONSpace(line, start, j), j, true
			}
		case '}':
			k := s.skipSpace(j + 1)
			switch {
			case k == len(line):
				// The line ends: this '}' closes the record, if the
				// record is the only object still open.
				return trimJSONSpace(line, start, j), j, depth == 1
			case line[k] == ',' || line[k] == '}' || line[k] == ']':
				// Closes a nested object; the record's own object
				// would close before the line ends.
				return trimJSONSpace(line, start, j), j, depth > 1
			case line[k] == '{' || line[k] == '[' || line[k] == '"':
				return 0, 0, false
			}
		case '{':
			if k := s.skipSpace(j + 1); k < len(line) && line[k] == '"' {
				return 0, 0, false // another record starts here
			}
		}
	}
	return 0, 0, false
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space, len(line) when none.
func (s *bareValueScan) skipSpace(i int) int {
	for i < len(s.line) && isJSONSpace(s.line[i]) {
		s.scanned++
		i++
	}
	return i
}

// isKey reports whether line[i:] starts with an object member's key: a
// string, white space, and ':'.
func (s *bareValueScan) isKey(i int) bool {
	line := s.line
	if line[i] != '"' {
		return false
	}
	escaped := false
	for j := i + 1; j < len(line); j++ {
		s.scanned++
		switch c := line[j]; {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			k := s.skipSpace(j + 1)
			return k < len(line) && line[k] == ':'
		}
	}
	return false
}

// trimJSONSpace returns the end of line[start:end] with its trailing JSON
// white space left out.
func trimJSONSpace(line []byte, start, end int) int {
	for end > start && isJSONSpace(line[end-1]) {
		end--
	}
	return end
}

func isJSONSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// isJSONScalar reports whether b is a JSON number, true, false or null.
func isJSONScalar(b []byte) bool {
	switch string(b) {
	case "true", "false", "null":
		return true
	}
	return isJSONNumber(b)
}

// isJSONNumber reports whether b is a number as JSON writes it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		if j := skipDigits(b, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(b)
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// appendJSONString appends text to out as a JSON string.
func appendJSONString(out, text []byte) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for _, c := range text {
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}
