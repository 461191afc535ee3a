// Package termsafe makes text from logs and servers fit to print on a
// terminal.
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// String returns s fit to print on a terminal: log fields and what a
// server answers (request ids, error texts that quote a certificate's
// names) may hold escape sequences that clear the screen or retitle the
// window. C0 and C1 control characters, DEL, the Unicode bidirectional
// overrides and invalid UTF-8 are written as Go escapes (\x1b, \u202e);
// everything else passes unchanged, and s itself is returned when it
// holds none of them.
func String(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && unsafeRune(r, size):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r, size):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func unsafeRune(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// JSONWriter returns a writer that passes JSON text on to w with the C1
// control characters and the bidirectional overrides (see String) written
// as JSON escapes (\u009b, \u202e), which decode to the same strings:
// encoding/json escapes the C0 controls but writes those as they are, and
// a document piped to a terminal (jq -r, less) would act on them. Outside
// JSON strings such characters cannot occur in valid JSON, so the text
// keeps its meaning. Each Write must hold whole UTF-8 characters, as
// json.Encoder's do (it writes each value in one call); invalid UTF-8 is
// passed on unchanged (encoding/json never writes it).
func JSONWriter(w io.Writer) io.Writer { return jsonWriter{w} }

type jsonWriter struct{ w io.Writer }

func (j jsonWriter) Write(p []byte) (int, error) {
	out := escapeJSON(p)
	if _, err := j.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// escapeJSON returns p with the runes String escapes beyond ASCII written
// as \u escapes; p itself when it has none.
func escapeJSON(p []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(p); {
		if p[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if size > 1 && unsafeRune(r, size) {
			if out == nil {
				out = make([]byte, 0, len(p)+16)
			}
			out = append(out, p[last:i]...)
			out = fmt.Appendf(out, `\u%04x`, r)
			last = i + size
		}
		i += size
	}
	if out == nil {
		return p
	}
	return append(out, p[last:]...)
}
