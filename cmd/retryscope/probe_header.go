package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/retryscope/retryscope/internal/httpsyntax"
	"github.com/retryscope/retryscope/internal/redact"
)

// headerList holds the -H flags in order.
type headerList struct {
	fields []headerField
	// err is the first malformed -H. Set never fails, because the flag
	// package would print the rejected value, which may be a credential.
	err error
}

type headerField struct{ name, value string }

// String shows the headers with credentials redacted.
func (h *headerList) String() string {
	var parts []string
	for _, kv := range h.fields {
		parts = append(parts, kv.name+": "+shownHeaderValue(kv.name, kv.value))
	}
	return strings.Join(parts, ", ")
}

// Set parses one -H value.
func (h *headerList) Set(s string) error {
	name, value, err := parseHeaderLine(s)
	if err != nil {
		if h.err == nil {
			h.err = err
		}
		return nil
	}
	h.add(name, value)
	return nil
}

func (h *headerList) add(name, value string) {
	h.fields = append(h.fields, headerField{name, value})
}

func (h *headerList) get(name string) string {
	for _, kv := range h.fields {
		if strings.EqualFold(kv.name, name) {
			return kv.value
		}
	}
	return ""
}

// shownHeaderValue is what probe prints for a header's value.
func shownHeaderValue(name, value string) string {
	if redact.SensitiveHeader(name) {
		return redact.Placeholder
	}
	return value
}

// parseHeaderLine parses curl's "Name: value". The name must be an HTTP
// token; the value loses surrounding blanks and must hold no control
// characters but tab. Errors never include the value, which may be a
// secret.
func parseHeaderLine(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", errors.New(`want 'Name: value' (no ':' found)`)
	}
	if name == "" {
		return "", "", errors.New("empty header name")
	}
	if !httpsyntax.IsToken(name) {
		// The name is not shown: a mistyped -H may hold a secret there.
		for i := 0; i < len(name); i++ {
			if !httpsyntax.IsToken(name[i : i+1]) {
				return "", "", fmt.Errorf("the header name is not a valid HTTP token: byte %d is %s", i+1, describeByte(name[i]))
			}
		}
	}
	value = strings.Trim(value, " \t")
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return "", "", fmt.Errorf("the value of header %s holds a control character", name)
		}
	}
	return name, value, nil
}

// describeByte names a byte without printing a secret's letters: only
// separators and control characters are spelled out.
func describeByte(c byte) string {
	switch {
	case c == ' ':
		return "a space"
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("control character 0x%02x", c)
	case c >= 0x80:
		return "a non-ASCII byte"
	}
	return fmt.Sprintf("%q", string(c))
}
