package diagnose

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// logValue is an access-log field: access-log formats write every variable
// as a JSON string ("504"), some as bare numbers, and "-" for absent. set
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
