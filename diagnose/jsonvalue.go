package diagnose

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// logValue is an access-log field: access-log formats write every variable
// as a JSON string ("504"), some as bare numbers, and "-" for absent (a
// bare - is quoted first, see quoteBareDashes). set records that the key
// was in the record at all.
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

// quoteBareDashes returns line with every "-" that stands alone as an
// object member's value put in quotes, and whether there was one. API
// Gateway writes "-" for a $context variable with no value; an access-log
// format that leaves a variable unquoted ("integrationLatency":
// $context.integration.latency, as people write for numbers) therefore
// logs `"integrationLatency":-`, which is not JSON
// (docs/aws-behaviour.md#access-logs). Quoted, it reads as every other
// absent value does. A "-" inside a string, or starting a
// number, is left alone.
func quoteBareDashes(line []byte) ([]byte, bool) {
	var out []byte
	inString, escaped := false, false
	copied := 0 // line[:copied] is in out
	for i, c := range line {
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
		switch {
		case c == '"':
			inString = true
		case c == '-' && lastNonSpace(line[:i]) == ':' && valueEnds(line[i+1:]):
			out = append(append(out, line[copied:i]...), `"-"`...)
			copied = i + 1
		}
	}
	if out == nil {
		return line, false
	}
	return append(out, line[copied:]...), true
}

// lastNonSpace returns the last byte of b that is not JSON white space, 0
// when none.
func lastNonSpace(b []byte) byte {
	b = bytes.TrimRight(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[len(b)-1]
}

// valueEnds reports whether b, what follows a value, starts (after white
// space) with the end of that value: ",", "}" or "]".
func valueEnds(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == ',' || b[0] == '}' || b[0] == ']')
}
