package apigwtest

import (
	"slices"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
)

// Fast paths for the proxy response's JSON, the emulator's hottest
// encoding: encoding/json's reflection cost more than the rest of an
// invocation. Each handles the plain shape only (printable ASCII strings,
// only '"' and '\\' escaped) and reports false on anything else, where the caller
// falls back to encoding/json, so the bytes and the outcome are the same.

// appendString appends s as encoding/json writes it (its HTML escaping
// included), quoted; ok is false when s holds anything but printable ASCII
// other than '<', '>' and '&' (only '"' and '\\' are escaped here).
func appendString(b []byte, s string) (_ []byte, ok bool) {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '<' || c == '>' || c == '&' {
			return b, false
		}
		if c == '"' || c == '\\' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', c)
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"'), true
}

// appendProxyResponse appends json.Marshal(r)'s bytes to b; ok is false
// (and b unusable) when a string needs escaping.
func appendProxyResponse(b []byte, r *events.APIGatewayProxyResponse) (_ []byte, ok bool) {
	b = append(b, `{"statusCode":`...)
	b = strconv.AppendInt(b, int64(r.StatusCode), 10)
	b = append(b, `,"headers":`...)
	if b, ok = appendObject(b, r.Headers, appendString); !ok {
		return b, false
	}
	b = append(b, `,"multiValueHeaders":`...)
	if b, ok = appendObject(b, r.MultiValueHeaders, appendStrings); !ok {
		return b, false
	}
	b = append(b, `,"body":`...)
	if b, ok = appendString(b, r.Body); !ok {
		return b, false
	}
	if r.IsBase64Encoded {
		b = append(b, `,"isBase64Encoded":true`...)
	}
	return append(b, '}'), true
}

// appendObject appends m as encoding/json writes a map: null when nil,
// else its members sorted by name.
func appendObject[V any](b []byte, m map[string]V, value func([]byte, V) ([]byte, bool)) (_ []byte, ok bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = appendString(b, k); !ok {
			return b, false
		}
		b = append(b, ':')
		if b, ok = value(b, m[k]); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendStrings appends vs as encoding/json writes a []string.
func appendStrings(b []byte, vs []string) (_ []byte, ok bool) {
	if vs == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for _, v := range vs {
		if b, ok = appendString(b, v); !ok {
			return b, false
		}
		b = append(b, ',') // the last one becomes the ']'
	}
	if len(vs) == 0 {
		return append(b, ']'), true
	}
	b[len(b)-1] = ']'
	return b, true
}

// rawProxyResponse is a proxy response's fields as read, before mapping.
type rawProxyResponse struct {
	StatusCode        []byte // the JSON value as written
	Headers           map[string]string
	MultiValueHeaders map[string][]string
	Body              *string
	IsBase64Encoded   bool
}

// proxyScanner reads the plain subset of JSON that parseProxyResponseFast
// accepts: no whitespace, strings of printable ASCII whose only escapes
// are \" and \\.
type proxyScanner struct {
	p []byte
	i int
}

func (s *proxyScanner) peek() byte {
	if s.i < len(s.p) {
		return s.p[s.i]
	}
	return 0
}

func (s *proxyScanner) eat(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

func (s *proxyScanner) literal(lit string) bool {
	if len(s.p)-s.i >= len(lit) && string(s.p[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// str reads a string of printable ASCII whose only escapes are \" and
// \\.
func (s *proxyScanner) str() (string, bool) {
	if !s.eat('"') {
		return "", false
	}
	start := s.i
	var buf []byte // the unescaped string, once an escape is met
	for s.i < len(s.p) {
		c := s.p[s.i]
		switch {
		case c == '"':
			var v string
			if buf == nil {
				v = string(s.p[start:s.i])
			} else {
				v = string(append(buf, s.p[start:s.i]...))
			}
			s.i++
			return v, true
		case c == '\\':
			if s.i+1 >= len(s.p) || s.p[s.i+1] != '"' && s.p[s.i+1] != '\\' {
				return "", false
			}
			buf = append(buf, s.p[start:s.i]...)
			buf = append(buf, s.p[s.i+1])
			s.i += 2
			start = s.i
		case c < 0x20 || c > 0x7e:
			return "", false
		default:
			s.i++
		}
	}
	return "", false
}

// object calls field for each member of an object, which must have been
// opened; it reads the closing brace.
func (s *proxyScanner) object(field func(k string) bool) bool {
	if s.eat('}') {
		return true
	}
	for {
		k, ok := s.str()
		if !ok || !s.eat(':') || !field(k) {
			return false
		}
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// parseProxyResponseFast reads a proxy response of the plain subset of
// JSON. ok is false when the payload is outside it (or is not what
// encoding/json would read the same way: a repeated name, a null where a
// value matters, a field the slow path judges); then nothing is decided and
// the caller uses encoding/json.
func parseProxyResponseFast(payload []byte) (raw rawProxyResponse, ok bool) {
	s := proxyScanner{p: payload}
	if !s.eat('{') {
		return raw, false
	}
	var seen [5]string // the names read, each once at most
	n := 0
	ok = s.object(func(k string) bool {
		if n == len(seen) || slices.Contains(seen[:n], k) {
			return false
		}
		seen[n] = k
		n++
		switch k {
		case "statusCode":
			start := s.i
			s.eat('-')
			if !s.eat('0') { // else a lone zero
				if c := s.peek(); c < '1' || c > '9' {
					return false
				}
				for c := s.peek(); c >= '0' && c <= '9'; c = s.peek() {
					s.i++
				}
			}
			if c := s.peek(); c != ',' && c != '}' {
				return false // a fraction or an exponent
			}
			raw.StatusCode = payload[start:s.i]
			return true
		case "headers":
			return readMap(&s, &raw.Headers, s.str)
		case "multiValueHeaders":
			return readMap(&s, &raw.MultiValueHeaders, s.strs)
		case "body":
			if s.literal("null") {
				return true
			}
			v, ok := s.str()
			raw.Body = &v
			return ok
		case "isBase64Encoded":
			raw.IsBase64Encoded = s.literal("true")
			return raw.IsBase64Encoded || s.literal("false") || s.literal("null")
		}
		return false // cookies, unknown fields: the slow path judges
	})
	if !ok || s.i != len(payload) {
		return rawProxyResponse{}, false
	}
	return raw, true
}

// readMap reads null (leaving *m nil) or an object of values into *m; a
// repeated name fails (encoding/json would keep the last).
func readMap[V any](s *proxyScanner, m *map[string]V, value func() (V, bool)) bool {
	if s.literal("null") {
		return true
	}
	if !s.eat('{') {
		return false
	}
	*m = make(map[string]V, 8)
	return s.object(func(k string) bool {
		if _, dup := (*m)[k]; dup {
			return false
		}
		v, ok := value()
		(*m)[k] = v
		return ok
	})
}

// strs reads an array of strings (not null).
func (s *proxyScanner) strs() ([]string, bool) {
	if !s.eat('[') {
		return nil, false
	}
	vs := []string{}
	if s.eat(']') {
		return vs, true
	}
	for {
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		vs = append(vs, v)
		if s.eat(']') {
			return vs, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}
