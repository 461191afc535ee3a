package diagnose

import (
	"bytes"
	"regexp"

	"github.com/retryscope/retryscope/internal/redact"
)

// The report quotes log lines (the line that decided a verdict, malformed
// and unrecognised lines), and logs can hold credentials: execution logs
// with full request logging print "Method request headers: {Authorization=
// ...}" and the Lambda event (headers, query strings), a damaged line may
// be anything. scrub hides them before a line is quoted, with the rules the
// transport uses when it logs: values of the names that carry secrets
// (the one rule in internal/redact), URL userinfo, query values and bare
// query parts, path parameters (redact.Query and redact.Path), in URLs and
// in paths written without a scheme and host, and in the query maps of
// execution logs and Lambda events, where a bare part is a key without a
// value.

// scrubPlaceholder replaces every hidden value (the transport's REDACTED).
const scrubPlaceholder = redact.Placeholder

var (
	// reAuthParam starts one more parameter of a Digest or SigV4
	// Authorization value: ", Signature=...", ", response=\"...\"".
	reAuthParam = regexp.MustCompile(`^,[ \t]*(?i:credential|signedheaders|signature|username|realm|nonce|uri|response|algorithm|cnonce|opaque|qop|nc|userhash)=`)
	// reURL is a URL in free text (or in a JSON string whose '&' are
	// escaped, as encoding/json writes them: \u0026).
	reURL = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.\-]*://(?:[^\s"'<>\\]|\\u0026)+`)
	// reEscapedURL is a URL inside a JSON string, its slashes escaped
	// ("https:\/\/user:pw@host\/p?x=1").
	reEscapedURL = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.\-]*:\\/\\/(?:[^\s"'<>\\]|\\/|\\u0026)+`)
	// reQueryString is the execution log's "Method request query string:
	// {k=v, ...}" (and its multi-value form).
	reQueryString = regexp.MustCompile(`(?i)(query string: \{)([^}\r\n]*)`)
	// reMapEntry is one entry of such a map: "k=v", a multi-value "k=[v,
	// w]" (its list up to ']' whatever commas it holds) or a bare "k".
	reMapEntry = regexp.MustCompile(`[^,=]*=(?:\[[^\]]*\]?|[^,]*)|[^,=]+`)
	// reEventQuery is an API Gateway event's query: "rawQueryString" (HTTP
	// APIs) as a string, "queryStringParameters" and
	// "multiValueQueryStringParameters" as objects; JSON escaped or not.
	reEventRawQuery = regexp.MustCompile(`(?i)(\\?"rawQueryString\\?"[ \t]*:[ \t]*\\?")((?:[^"\\]|\\[^"])*)`)
	reEventQueryObj = regexp.MustCompile(`(?i)(\\?"(?:multiValue)?queryStringParameters\\?"[ \t]*:[ \t]*)(\{[^}]*\})`)
	// reObjEntry and reEscObjEntry are one entry of such an object, as
	// JSON writes it and inside a JSON string (\"k\":\"v\"); the
	// submatches are the key, the ':' and the value (a string or a list).
	reObjEntry    = regexp.MustCompile(`("(?:[^"\\]|\\.)*")([ \t]*:[ \t]*)("(?:[^"\\]|\\.)*"|\[[^\]]*\])`)
	reEscObjEntry = regexp.MustCompile(`(\\"(?:[^"\\]|\\[^"])*\\")([ \t]*:[ \t]*)(\\"(?:[^"\\]|\\[^"])*\\"|\[[^\]]*\])`)
	// reTarget is a path, with any query and fragment, written without
	// a scheme and host: an execution log's "Resource Path: /p", an
	// event's "path":"/p", a request line's "GET /p?q HTTP/1.1". It
	// starts with '/' (or a JSON-escaped "\/") at the start of the line
	// or after a blank, a quote, '=', ',' or an opening bracket, never
	// inside a URL; submatch 1 is the target.
	reTarget = regexp.MustCompile(`(?:^|[\s"'=,(\[{])((?:/|\\/)(?:[^\s"'<>\\{}]|\\/|\\u0026)*)`)
)

// scrubHints are the lower-case fragments without which a line has nothing
// to hide, so most lines skip the regular expressions.
var scrubHints = func() [][]byte {
	h := [][]byte{[]byte("://"), []byte(`:\/\/`), []byte("query string"), []byte("querystring")}
	for _, f := range redact.Fragments() {
		h = append(h, []byte(f))
	}
	return h
}()

// scrub returns b with credentials replaced by REDACTED; b itself is not
// modified.
func scrub(b []byte) []byte {
	if !mayHoldSecret(b) {
		return scrubTargets(b)
	}
	// Each rule runs only on lines that hold its literal part: the
	// regular expressions cost far more than the scans. The query rules go
	// before the names' rule, which would hide the empty value of a bare
	// part named like a credential ("?xtoken": "xtoken":"") and so keep
	// its key.
	if containsFold(b, []byte("query string: {")) {
		b = reQueryString.ReplaceAllFunc(b, func(m []byte) []byte {
			i := bytes.IndexByte(m, '{') + 1
			return append(append([]byte(nil), m[:i]...), reMapEntry.ReplaceAllFunc(m[i:], scrubMapEntry)...)
		})
	}
	if containsFold(b, []byte("rawquerystring")) {
		b = reEventRawQuery.ReplaceAllFunc(b, func(m []byte) []byte {
			sub := reEventRawQuery.FindSubmatchIndex(m)
			return append(append([]byte(nil), m[:sub[3]]...), redactQuery(m[sub[4]:sub[5]])...)
		})
	}
	if containsFold(b, []byte("querystringparameters")) {
		b = reEventQueryObj.ReplaceAllFunc(b, func(m []byte) []byte {
			sub := reEventQueryObj.FindSubmatchIndex(m)
			obj := scrubObjEntries(m[sub[4]:sub[5]], reObjEntry, `"`)
			obj = scrubObjEntries(obj, reEscObjEntry, `\"`)
			return append(append([]byte(nil), m[:sub[4]]...), obj...)
		})
	}
	b = scrubSecretValues(b)
	if bytes.Contains(b, []byte(`:\/\/`)) {
		b = reEscapedURL.ReplaceAllFunc(b, func(u []byte) []byte { return unescaped(u, scrubURL) })
	}
	if bytes.Contains(b, []byte("://")) {
		b = reURL.ReplaceAllFunc(b, func(u []byte) []byte { return unescaped(u, scrubURL) })
	}
	return scrubTargets(b)
}

// scrubTargets redacts the paths and request targets in b written without
// a scheme and host (see reTarget) that hold a ';' or a '?': their path
// parameters and query as scrubURL does, their fragment dropped.
// Punctuation after a target (".,;:!)]") is kept out of it. A line
// without '/' and without ';' or '?' is returned at once.
func scrubTargets(b []byte) []byte {
	if bytes.IndexByte(b, '/') < 0 || bytes.IndexAny(b, ";?") < 0 {
		return b
	}
	var out []byte
	last := 0
	for _, m := range reTarget.FindAllSubmatchIndex(b, -1) {
		start, end := m[2], m[3]
		for end > start+1 && bytes.IndexByte([]byte(".,;:!)]"), b[end-1]) >= 0 {
			end--
		}
		t := b[start:end]
		if bytes.IndexAny(t, ";?") < 0 {
			continue
		}
		out = append(append(out, b[last:start]...), unescaped(t, scrubTarget)...)
		last = end
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// unescaped returns f(t) for a URL or path t that may be written inside a
// JSON string, with its escaped '/' (\/) and '&' (\u0026, as encoding/json
// writes it) read as themselves; f's result is escaped again in the same
// way.
func unescaped(t []byte, f func([]byte) []byte) []byte {
	for _, esc := range [...][2]string{{`\/`, "/"}, {`\u0026`, "&"}} {
		if bytes.Contains(t, []byte(esc[0])) {
			return bytes.ReplaceAll(unescaped(bytes.ReplaceAll(t, []byte(esc[0]), []byte(esc[1])), f), []byte(esc[1]), []byte(esc[0]))
		}
	}
	return f(t)
}

// scrubSecretValues hides the value after every name that carries a
// credential (see secretName): a JSON string (up to its closing quote,
// escaped quotes included), a JSON array of them ("Authorization": [
// "Bearer ..." ]), or an unquoted value up to the end of its map entry,
// together with any further Digest or SigV4 parameters (", Signature=...")
// that follow it.
func scrubSecretValues(b []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(b); {
		if !isNameByte(b[i]) {
			i++
			continue
		}
		from := i
		for i < len(b) && isNameByte(b[i]) {
			i++
		}
		start, ok := secretName(b, from, i)
		if !ok {
			continue
		}
		end := secretValueEnd(b, start)
		out = append(out, b[last:start]...)
		out = append(out, redactedValue(b[start:end])...)
		last, i = end, end
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// isNameByte reports whether c may be part of a header or field name.
func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// secretName reports whether the name b[from:to] carries a credential and
// is followed by the separator a header map ("Name=value"), a header line
// ("Name: value") or JSON (escaped or not: "Name": ..., \"Name\": ...)
// writes after a name; if so, it returns where the value starts. The
// name's words decide (redact.SensitiveHeader). A name right after '?',
// '&' or '/' is part of a URL or a query string, which the URL and query
// rules scrub; a name that opens with a quote closes it before its
// separator (a JSON key), one inside a string ("x=token=1") does not.
func secretName(b []byte, from, to int) (valueStart int, ok bool) {
	if from > 0 && (b[from-1] == '?' || b[from-1] == '&' || b[from-1] == '/') {
		return 0, false
	}
	i := to
	if i < len(b) && b[i] == '\\' {
		i++
	}
	closed := i < len(b) && b[i] == '"'
	if closed {
		i++
	} else if i > to {
		return 0, false
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i >= len(b) || (b[i] != ':' && b[i] != '=') {
		return 0, false
	}
	if opened := from > 0 && b[from-1] == '"'; opened != closed {
		return 0, false
	}
	if !redact.SensitiveHeader(string(b[from:to])) {
		return 0, false
	}
	i++
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i, true
}

// redactedValue keeps a value's quoting and replaces what it holds.
func redactedValue(v []byte) []byte {
	switch {
	case bytes.HasPrefix(v, []byte(`\"`)):
		return []byte(`\"` + scrubPlaceholder + `\"`)
	case bytes.HasPrefix(v, []byte(`"`)):
		return []byte(`"` + scrubPlaceholder + `"`)
	case bytes.HasPrefix(v, []byte("[")):
		return []byte("[" + scrubPlaceholder + "]")
	}
	return []byte(scrubPlaceholder)
}

// secretValueEnd returns where the value starting at i ends.
func secretValueEnd(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	switch {
	case i >= len(b):
		return i
	case b[i] == '[':
		if j := bytes.IndexByte(b[i:], ']'); j >= 0 {
			return i + j + 1
		}
		return lineEnd(b, i)
	case bytes.HasPrefix(b[i:], []byte(`\"`)):
		// A JSON string inside a JSON string: ends at the next \" that is
		// not itself escaped (\\\").
		for j := i + 2; j+1 < len(b); j++ {
			if b[j] == '\\' && b[j+1] == '"' && b[j-1] != '\\' {
				return j + 2
			}
			if b[j] == '\n' {
				return j
			}
		}
		return len(b)
	case b[i] == '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			case '\n':
				return j
			}
		}
		return len(b)
	}
	// Unquoted: to the end of the map entry, then any further
	// parameters of the same credential.
	// A Digest parameter's quoted string ("..." or, inside JSON, \"...\")
	// is skipped whole: its commas do not end the value.
	j := i
	for j < len(b) {
		switch c := b[j]; {
		case c == '"':
			k := bytes.IndexAny(b[j+1:], "\"\n")
			if k < 0 || b[j+1+k] == '\n' {
				return lineEnd(b, j)
			}
			j += k + 2
		case c == '\\' && j+1 < len(b) && b[j+1] == '"':
			k := bytes.Index(b[j+2:], []byte(`\"`))
			if k < 0 {
				return lineEnd(b, j)
			}
			j += k + 4
		case c == '\\' && j+1 < len(b) && (b[j+1] == 'n' || b[j+1] == 'r' || b[j+1] == 't'):
			return j
		case c == ',' && reAuthParam.Match(b[j:min(len(b), j+40)]):
			j++
		case c == ',' || c == '}' || c == ']' || c == '\r' || c == '\n':
			return j
		default:
			j++
		}
	}
	return j
}

func lineEnd(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(b)
}

// redactQuery redacts a raw query string as redact.Query does.
func redactQuery(q []byte) []byte {
	return []byte(redact.Query(string(q)))
}

// A query map (an execution log's "{k=v, ...}", an event's
// queryStringParameters) has no entry for a bare query part ("?s3cr3t",
// which redact.Query hides whole because it may be the credential itself):
// the part becomes a key with an empty value ("s3cr3t":"", "s3cr3t":[""],
// {s3cr3t=}) or, in an execution log's map, a key alone ({s3cr3t}). Such
// a key is hidden as redact.Query hides the part, replaced by
// scrubPlaceholder; its empty value stays, there is nothing in it. A
// "?k=" gives the same entry and is hidden too: the map cannot tell it
// from a bare part. An entry with a value keeps its key (keys say what was
// asked) and has its value replaced.

// scrubMapEntry redacts one entry of an execution log's query map
// (reMapEntry); blanks before it stay, and so does an entry with neither
// key nor value.
func scrubMapEntry(e []byte) []byte {
	key, value, _ := bytes.Cut(e, []byte("="))
	name := bytes.TrimLeft(key, " ")
	switch {
	case !blank(value):
		return append(append([]byte(nil), key...), "="+scrubPlaceholder...)
	case len(name) == 0:
		return e
	}
	return append(append(append([]byte(nil), key[:len(key)-len(name)]...), scrubPlaceholder...), e[len(key):]...)
}

// scrubObjEntries redacts the entries of an event's query object obj that
// re (reObjEntry or reEscObjEntry) finds; quote is how re's strings are
// quoted (" or \").
func scrubObjEntries(obj []byte, re *regexp.Regexp, quote string) []byte {
	return re.ReplaceAllFunc(obj, func(m []byte) []byte {
		sub := re.FindSubmatchIndex(m)
		hidden := quote + scrubPlaceholder + quote
		if blank(m[sub[6]:sub[7]]) {
			return append([]byte(hidden), m[sub[3]:]...)
		}
		return append(append([]byte(nil), m[:sub[6]]...), hidden...)
	})
}

// blank reports whether a query map's value holds nothing: "", [""],
// [] or nothing at all, JSON escaped or not; a list of empty values
// ("?k&k" gives ["",""] and [, ]) too.
func blank(v []byte) bool {
	return len(bytes.Trim(v, "[]\"\\, \t")) == 0
}

func mayHoldSecret(b []byte) bool {
	for _, h := range scrubHints {
		if containsFold(b, h) {
			return true
		}
	}
	return false
}

// containsFold reports whether b contains the lower-case ASCII lower in
// any case, without allocating.
func containsFold(b, lower []byte) bool {
	first, upper := lower[0], lower[0]
	if 'a' <= first && first <= 'z' {
		upper = first - 'a' + 'A'
	}
	for len(b) >= len(lower) {
		i := bytes.IndexByte(b, first)
		if j := bytes.IndexByte(b, upper); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 || len(b)-i < len(lower) {
			return false
		}
		if foldEqual(b[i:i+len(lower)], lower) {
			return true
		}
		b = b[i+1:]
	}
	return false
}

func foldEqual(b, lower []byte) bool {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// scrubURL drops a URL's userinfo and fragment and redacts its path and
// query (redact.URLText).
func scrubURL(u []byte) []byte { return []byte(redact.URLText(string(u))) }

// scrubTarget redacts a path with any query and fragment (redact.Target).
func scrubTarget(t []byte) []byte { return []byte(redact.Target(string(t))) }
