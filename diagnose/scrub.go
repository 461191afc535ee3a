package diagnose

import (
	"bytes"
	"regexp"
	"strconv"

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
	// reMapEntry is one entry of an execution log's query map (see
	// scrubQueryStrings): "k=v", a multi-value "k=[v, w]" (its list up to
	// ']' whatever commas it holds) or a bare "k".
	reMapEntry = regexp.MustCompile(`[^,=]*=(?:\[[^\]]*\]?|[^,]*)|[^,=]+`)
	// reEventRawQuery is an HTTP API event's "rawQueryString", JSON
	// escaped or not; its query objects are found by scrubEventQueryObjects.
	reEventRawQuery = regexp.MustCompile(`(?i)(\\?"rawQueryString\\?"[ \t]*:[ \t]*\\?")((?:[^"\\]|\\[^"])*)`)
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
		b = scrubQueryStrings(b)
	}
	if containsFold(b, []byte("rawquerystring")) {
		b = reEventRawQuery.ReplaceAllFunc(b, func(m []byte) []byte {
			sub := reEventRawQuery.FindSubmatchIndex(m)
			return append(append([]byte(nil), m[:sub[3]]...), redactQuery(m[sub[4]:sub[5]])...)
		})
	}
	if containsFold(b, []byte("querystringparameters")) {
		b = scrubEventQueryObjects(b)
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
// that follow it; a cookie header's unquoted value up to the end of its
// map or line, as its commas are its own (see secretValueEnd).
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
		end := secretValueEnd(b, start, cookieName(b[from:i]))
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
// ("Name: value"), JSON (escaped or not: "Name": ..., \"Name\": ...) or a
// printed object (Python's dict repr and Node's util.inspect: 'Name': ...)
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
	// A name in single quotes, as Python and Node print a dict's keys.
	single := !closed && i == to && i < len(b) && b[i] == '\''
	if closed || single {
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
	if single {
		if from == 0 || b[from-1] != '\'' {
			return 0, false
		}
	} else if opened := from > 0 && b[from-1] == '"'; opened != closed {
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
	case bytes.HasPrefix(v, []byte(`'`)):
		return []byte(`'` + scrubPlaceholder + `'`)
	case bytes.HasPrefix(v, []byte("[")):
		return []byte("[" + scrubPlaceholder + "]")
	}
	return []byte(scrubPlaceholder)
}

// cookieName reports whether a header name names cookies (Cookie,
// Set-Cookie, any case).
func cookieName(name []byte) bool {
	for k := 0; k+len("cookie") <= len(name); k++ {
		if bytes.EqualFold(name[k:k+len("cookie")], []byte("cookie")) {
			return true
		}
	}
	return false
}

// secretValueEnd returns where the value starting at i ends. An unquoted
// value of a cookie header (cookie) does not end at a comma: Set-Cookie's
// Expires date holds one ("Expires=Wed, 21 Oct 2026 ..."), and a header
// map joins several cookies with ", ", whose names say nothing of what
// they hold; it runs to the end of its map ('}') or line.
func secretValueEnd(b []byte, i int, cookie bool) int {
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
	case b[i] == '"' || b[i] == '\'':
		// A JSON string, or a printed one in single quotes (Python's
		// and Node's): to its closing quote, whatever commas it holds.
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case b[i]:
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
		case c == ',' && (cookie || reAuthParam.Match(b[j:min(len(b), j+40)])):
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
// key nor value. An entry that holds a '}' is hidden whole, key and value:
// the map was read past that '}' (see scrubQueryStrings), which may as
// well have ended it, after a key that was a bare part ("{s3cr3t=}}" is
// "?s3cr3t=%7D" or "?s3cr3t" followed by a '}').
func scrubMapEntry(e []byte) []byte {
	key, value, hasValue := bytes.Cut(e, []byte("="))
	name := bytes.TrimLeft(key, " ")
	switch {
	case bytes.IndexByte(e, '}') >= 0:
		out := append(append([]byte(nil), key[:len(key)-len(name)]...), scrubPlaceholder...)
		if hasValue {
			out = append(out, "="+scrubPlaceholder...)
		}
		return out
	case !blank(value):
		return append(append([]byte(nil), key...), "="+scrubPlaceholder...)
	case len(name) == 0:
		return e
	}
	return append(append(append([]byte(nil), key[:len(key)-len(name)]...), scrubPlaceholder...), e[len(key):]...)
}

// scrubQueryStrings redacts the entries of every execution-log query map
// in b ("Method request query string: {k=v, ...}" and its multi-value
// form) with scrubMapEntry.
//
// Such a map is Java's Map.toString: neither its keys nor its values are
// quoted or escaped, so a '}' in one of them looks like the map's end and
// "{q=a}b, sig=S3CR3T}" may be a map of two entries or a map of one
// followed by text. It is read the safe way (see queryStringEnd): the map
// runs on past a '}' while more entries seem to follow, so that no value
// after it is left readable, and an entry that holds such a '}' is hidden
// whole (see scrubMapEntry). A map that does not end (a line cut short)
// runs to the end of the line.
func scrubQueryStrings(b []byte) []byte {
	const opener = "query string: {"
	return rewriteRegions(b, opener,
		func(i int) (int, bool) { return i + len(opener), true },
		func(out []byte, start int) ([]byte, int) {
			end := queryStringEnd(b, start)
			return append(out, reMapEntry.ReplaceAllFunc(b[start:end], scrubMapEntry)...), end
		})
}

// rewriteRegions returns b with the regions that follow the lower-case
// word lower (found in any case) rewritten. At each instance i of the word
// after the last region, region says where the region to rewrite starts
// (false: this instance has none); b up to there is kept, and rewrite
// appends the region rewritten to out and returns where it ended in b.
// b itself is returned when there is none.
func rewriteRegions(b []byte, lower string, region func(i int) (int, bool), rewrite func(out []byte, start int) ([]byte, int)) []byte {
	f := newFoldFinder(b, []byte(lower))
	var out []byte
	last := 0
	for at := 0; ; {
		i := f.index(at)
		if i < 0 {
			break
		}
		at = i + 1
		start, ok := region(i)
		if !ok {
			continue
		}
		out = append(out, b[last:start]...)
		out, last = rewrite(out, start)
		at = max(at, last)
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// queryStringEnd returns where the entries of the execution-log query map
// whose entries start at b[start] end: at the '}' that closes it, or at
// the end of the line ('\r' or '\n') if none does. A '}' closes the map
// unless more of it seems to follow: ", " (the map's separator) before
// the next '}' or the end of the line, or nothing but that next '}' (and
// no '"', which would end a JSON string the line is quoted in) before the
// end of the line, as in "{q=a}b}". Each byte is looked at a bounded
// number of times.
func queryStringEnd(b []byte, start int) int {
	// nextEnd returns where the next '}', '\r' or '\n' from i is, or
	// len(b).
	nextEnd := func(i int) int {
		if j := bytes.IndexAny(b[i:], "}\r\n"); j >= 0 {
			return i + j
		}
		return len(b)
	}
	end := nextEnd(start)
	for end < len(b) && b[end] == '}' {
		next := nextEnd(end + 1)
		between := b[end+1 : next]
		switch {
		case bytes.Contains(between, []byte(", ")):
		case next < len(b) && b[next] == '}' && bytes.IndexByte(between, '"') < 0 && lineEndsAt(b, next+1):
		default:
			return end
		}
		end = next
	}
	return end
}

// lineEndsAt reports whether nothing but blanks follows b[i] to the end
// of its line.
func lineEndsAt(b []byte, i int) bool {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i == len(b) || b[i] == '\r' || b[i] == '\n'
}

// scrubEventQueryObjects redacts the entries of every query object of an
// API Gateway event in b: "queryStringParameters" and
// "multiValueQueryStringParameters" (any case), as JSON writes them or as
// JSON inside a JSON string (\"queryStringParameters\":{\"k\":\"v\"}).
// Each object is walked as JSON (see scrubQueryObject), so a '}', '"' or
// '{' in a key or a value does not end it early.
func scrubEventQueryObjects(b []byte) []byte {
	const name = "querystringparameters"
	var esc bool // the object found last is JSON inside a JSON string
	return rewriteRegions(b, name,
		func(i int) (obj int, ok bool) {
			obj, esc, ok = queryObjectStart(b, i, i+len(name))
			return obj, ok
		},
		func(out []byte, obj int) ([]byte, int) { return scrubQueryObject(out, b, obj, esc) })
}

// queryObjectStart returns where the object of the key whose name
// ends in "queryStringParameters" at b[from:to] starts, and whether the key
// is JSON inside a JSON string (\"...\"): the name, or "multiValue" before
// it, must open with a quote, close with one (escaped any number of times)
// and be followed by ':' and '{' (blanks around the ':' allowed). JSON
// escaped twice is read as escaped once, and so, not being JSON there, is
// redacted to the end of its line by scrubQueryObject.
func queryObjectStart(b []byte, from, to int) (obj int, esc, ok bool) {
	const multi = "multivalue"
	if from >= len(multi) && foldEqual(b[from-len(multi):from], []byte(multi)) {
		from -= len(multi)
	}
	if from < 1 || b[from-1] != '"' {
		return 0, false, false
	}
	esc = from >= 2 && b[from-2] == '\\'
	i := to
	for i < len(b) && b[i] == '\\' {
		i++
	}
	if i >= len(b) || b[i] != '"' {
		return 0, false, false
	}
	i = skipBlanks(b, i+1)
	if i >= len(b) || b[i] != ':' {
		return 0, false, false
	}
	i = skipBlanks(b, i+1)
	if i >= len(b) || b[i] != '{' {
		return 0, false, false
	}
	return i, esc, true
}

func skipBlanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// scrubQueryObject appends to out the query object that starts with the
// '{' at b[start], its entries redacted, and returns where the object
// ends. esc says the object is JSON inside a JSON string, its quotes
// written \" and its backslashes \\ (see jsonText). The object is walked
// as JSON, strings and their escapes honoured, to its real closing brace.
// An entry keeps its key and has its value (a string, a list of them or
// anything else) replaced by a quoted scrubPlaceholder; an entry whose
// value holds nothing ("", [], [""], ["",""]: a bare query part) has its
// key replaced instead and its value kept. If the object does not end
// before its line does (a line cut short) or is not what JSON allows,
// everything from the first entry that cannot be read to the end of the
// line is replaced by a single scrubPlaceholder.
func scrubQueryObject(out, b []byte, start int, esc bool) ([]byte, int) {
	t := jsonText{b: b, esc: esc}
	hidden := `"` + scrubPlaceholder + `"`
	if esc {
		hidden = `\"` + scrubPlaceholder + `\"`
	}
	out = append(out, b[start])
	last, entry := start+1, start+1
	for i := start + 1; ; {
		i = t.skipSpace(i)
		entry = i
		c, w := t.at(i)
		if c == '}' && w > 0 {
			return append(out, b[last:i+w]...), i + w
		}
		if c != '"' || w == 0 {
			break
		}
		key := i
		i, _ = t.skipString(i)
		keyEnd := i
		if i < 0 {
			break
		}
		i = t.skipSpace(i)
		if c, w := t.at(i); c != ':' || w == 0 {
			break
		}
		val := t.skipSpace(i + 1)
		var empty bool
		if i, empty = t.skipValue(val); i < 0 {
			break
		}
		if empty {
			out = append(append(append(out, b[last:key]...), hidden...), b[keyEnd:i]...)
		} else {
			out = append(append(out, b[last:val]...), hidden...)
		}
		last = i
		i = t.skipSpace(i)
		if c, w := t.at(i); c == ',' && w > 0 {
			i += w
		}
	}
	// b[last:entry] holds nothing but blanks and a comma.
	out = append(out, b[last:entry]...)
	end := lineEnd(b, entry)
	if entry < end {
		out = append(out, scrubPlaceholder...)
	}
	return out, end
}

// jsonText reads JSON in b byte by byte: as it is written (esc false) or,
// esc true, as it is written inside a JSON string, where each byte of it
// may be escaped (\" for '"', \\ for '\', \uXXXX). The end of the line
// ends it, and so, inside a JSON string, does an unescaped '"' (the end of
// the string that holds it).
type jsonText struct {
	b   []byte
	esc bool
}

// at returns the byte of the JSON text at b[i] and how many bytes of b
// write it; width 0 at its end. A character beyond ASCII written \uXXXX is
// read as 'x', a byte that is neither a quote nor a backslash.
func (t jsonText) at(i int) (c byte, width int) {
	if i < 0 || i >= len(t.b) || t.b[i] == '\n' || t.b[i] == '\r' {
		return 0, 0
	}
	c = t.b[i]
	if !t.esc {
		return c, 1
	}
	switch {
	case c == '"':
		return 0, 0
	case c != '\\':
		return c, 1
	case i+1 >= len(t.b):
		return 0, 0
	}
	switch e := t.b[i+1]; e {
	case 'u':
		if i+6 <= len(t.b) {
			if r, err := strconv.ParseUint(string(t.b[i+2:i+6]), 16, 16); err == nil {
				if r < 0x80 {
					return byte(r), 6
				}
				return 'x', 6
			}
		}
		return 'x', 2
	case 'n':
		return '\n', 2
	case 't':
		return '\t', 2
	case 'r':
		return '\r', 2
	case '"', '\\', '/':
		return e, 2
	}
	return 'x', 2
}

func (t jsonText) skipSpace(i int) int {
	for {
		c, w := t.at(i)
		if w == 0 || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return i
		}
		i += w
	}
}

// skipString returns where the JSON string that opens at i ends and
// whether it is empty; -1 if it does not end.
func (t jsonText) skipString(i int) (end int, empty bool) {
	_, w := t.at(i)
	i += w
	empty = true
	for {
		c, w := t.at(i)
		switch {
		case w == 0:
			return -1, false
		case c == '"':
			return i + w, empty
		case c == '\\':
			i += w
			if _, w = t.at(i); w == 0 {
				return -1, false
			}
		}
		i += w
		empty = false
	}
}

// skipValue returns where the JSON value at i ends and whether it holds
// nothing: an empty string, or a list of nothing but empty strings; -1 if
// it does not end. Values nested in it are skipped by counting brackets,
// not by recursion.
func (t jsonText) skipValue(i int) (end int, empty bool) {
	c, w := t.at(i)
	switch {
	case w == 0:
		return -1, false
	case c == '"':
		return t.skipString(i)
	case c == '[':
		// A list is empty while its members are empty strings.
		empty = true
		for i += w; ; {
			i = t.skipSpace(i)
			c, w := t.at(i)
			switch {
			case w == 0:
				return -1, false
			case c == ']':
				return i + w, empty
			case c == ',':
				i += w
			case c == '"':
				var e bool
				if i, e = t.skipString(i); i < 0 {
					return -1, false
				}
				empty = empty && e
			default:
				if i = t.skipNested(i); i < 0 {
					return -1, false
				}
				empty = false
			}
		}
	}
	return t.skipNested(i), false
}

// skipNested returns where the JSON value at i that is not a string ends
// (an object or a list, with whatever they hold, or a number, true, false
// or null), -1 if it does not end.
func (t jsonText) skipNested(i int) int {
	depth := 0
	from := i
	for {
		c, w := t.at(i)
		switch {
		case w == 0:
			return -1
		case c == '"':
			if i, _ = t.skipString(i); i < 0 {
				return -1
			}
			continue
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				if i == from {
					return -1
				}
				return i
			}
			depth--
			if depth == 0 {
				return i + w
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			if i == from {
				return -1
			}
			return i
		}
		i += w
	}
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
	f := newFoldFinder(b, lower)
	return f.index(0) >= 0
}

// foldFinder finds a lower-case ASCII word in b in any case, again and
// again from later offsets, in time linear in len(b) however many times
// it is asked: the next instances of the word's first byte in either case
// are remembered, so no part of b is searched for them twice.
type foldFinder struct {
	b, lower     []byte
	first, upper byte
	nextLo       int // where the next first byte in lower case is, from lo on; -1 none
	nextUp       int // the same in upper case
	lo, up       int // where the searches for them started
}

func newFoldFinder(b, lower []byte) *foldFinder {
	f := &foldFinder{b: b, lower: lower, first: lower[0], upper: lower[0], lo: -1, up: -1}
	if 'a' <= f.first && f.first <= 'z' {
		f.upper = f.first - 'a' + 'A'
	}
	return f
}

// next returns where c is next found in f.b at or after at, or -1; pos and
// from are the remembered answer and where its search began.
func (f *foldFinder) next(c byte, at int, pos, from *int) int {
	if *from < 0 || at < *from || (*pos >= 0 && *pos < at) {
		*from = at
		*pos = bytes.IndexByte(f.b[at:], c)
		if *pos >= 0 {
			*pos += at
		}
	}
	return *pos
}

// index returns the index of the first instance of the word in f.b at or
// after at, or -1.
func (f *foldFinder) index(at int) int {
	for len(f.b)-at >= len(f.lower) {
		i := f.next(f.first, at, &f.nextLo, &f.lo)
		if f.upper != f.first {
			if j := f.next(f.upper, at, &f.nextUp, &f.up); j >= 0 && (i < 0 || j < i) {
				i = j
			}
		}
		if i < 0 || len(f.b)-i < len(f.lower) {
			return -1
		}
		if foldEqual(f.b[i:i+len(f.lower)], f.lower) {
			return i
		}
		at = i + 1
	}
	return -1
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
