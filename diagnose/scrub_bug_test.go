package diagnose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/internal/termsafe"
)

// The scrubber missed secrets in URLs with JSON-escaped slashes,
// "Authorization": [ "Bearer ..." ] arrays, Digest and SigV4 values after
// their first comma, and the query strings of API Gateway events.
func TestBugScrubberMisses(t *testing.T) {
	t.Parallel()
	const id = "(aaaaaaaa-1111-4222-8333-444444444444) "
	lines := []string{
		id + `Endpoint request body after transformations: {"resource":"\/p","callback":"https:\/\/alice:SEC01X@hooks.example.com\/in?sig=SEC02X&x=1"}`,
		id + `Endpoint request body after transformations: {"multiValueHeaders":{"Authorization": [ "Bearer SEC03X", "Bearer SEC04X" ]},"headers":{"Authorization" : [ "Bearer SEC05X" ]}}`,
		id + `Method request headers: {Authorization=Digest username="SEC06X", realm="api", nonce="SEC07X", uri="/p", response="SEC08X", Host=example.com}`,
		id + `Method request headers: {Authorization=AWS4-HMAC-SHA256 Credential=SEC09X/20261126/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=SEC10X, Host=example.com}`,
		id + `Endpoint request body after transformations: {"rawQueryString":"token=SEC11X&page=SEC12X","queryStringParameters":{"token":"SEC13X","page":"SEC14X"},"multiValueQueryStringParameters":{"token":["SEC15X","SEC16X"]}}`,
		`{"msg":"x","event":"{\"rawQueryString\":\"token=SEC17X\",\"queryStringParameters\":{\"token\":\"SEC18X\"},\"headers\":{\"Authorization\":\"Digest username=\\\"SEC19X\\\", response=\\\"SEC20X\\\"\"}}"`,
		id + "Method completed with status: 200",
	}
	e := NewEvidence(Options{})
	if _, err := e.ReadFile("execution.log", strings.NewReader(strings.Join(lines, "\n")+"\n")); err != nil {
		t.Fatal(err)
	}
	// Quote every line as the report would.
	var quoted []string
	for _, l := range lines {
		quoted = append(quoted, string(scrub([]byte(l))))
	}
	rep := e.Report()
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep)
	out := strings.Join(quoted, "\n") + text.String() + string(js)
	for i := 1; i <= 20; i++ {
		if secret := fmt.Sprintf("SEC%02dX", i); strings.Contains(out, secret) {
			t.Errorf("secret %s printed", secret)
		}
	}
	for _, keep := range []string{"hooks.example.com", "Host=example.com", `"token"`, "page="} {
		if !strings.Contains(strings.Join(quoted, "\n"), keep) {
			t.Errorf("%q was hidden too", keep)
		}
	}
	if t.Failed() {
		t.Logf("quoted:\n%s", strings.Join(quoted, "\n"))
	}
}

// The text report printed request and invocation ids (and quoted lines) as
// they came, so a log line could clear the screen or retitle the terminal.
func TestBugTextPassesEscapeSequences(t *testing.T) {
	t.Parallel()
	const evil = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202e"
	attempt := `{"msg":"attempt","invocation_id":"inv` + jsonEsc(evil) + `","attempt":1,"duration_ms":5,"status":504,"reach":"backend_timeout","request_id_sent":"r` + jsonEsc(evil) + `"}`
	e := NewEvidence(Options{})
	if _, err := e.ReadFile("attempts.jsonl", strings.NewReader(attempt+"\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ReadFile("execution.log", strings.NewReader("(x\x1b[2Jy) Method completed with status: 504\n(z) garbage \x1b[31m\n")); err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := e.Report().WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for i, r := range text.String() {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u202e' {
			t.Fatalf("control character %U at %d in:\n%q", r, i, text.String())
		}
	}
	if !strings.Contains(text.String(), `\x1b`) {
		t.Errorf("escape not shown escaped:\n%s", text.String())
	}
}

func jsonEsc(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// bareQueryShapes are the places a bare query part (the token of
// "?token", put in for %[1]s) takes in API Gateway's Lambda events and
// execution logs, some after a value that holds a '}', '"' or '{', and
// places a query value takes after such a value.
var bareQueryShapes = []string{
	`"queryStringParameters":{"%[1]s":""}`,
	`"queryStringParameters":{"a":"1","%[1]s":""}`,
	`"multiValueQueryStringParameters":{"%[1]s":[""]}`,
	`"multiValueQueryStringParameters":{"a":["1"],"%[1]s":[]}`,
	`"rawQueryString":"a=1&%[1]s","queryStringParameters":{"a":"1","%[1]s":""}`,
	`\"queryStringParameters\":{\"%[1]s\":\"\"}`,
	`\"multiValueQueryStringParameters\":{\"a\":[\"1\"],\"%[1]s\":[\"\"]}`,
	`Method request query string: {%[1]s=}`,
	`Method request query string: {token=abc, %[1]s=}`,
	`Method request query string: {page=2, %[1]s}`,
	`"queryStringParameters":{"q":"a}b","%[1]s":""}`,
	`"queryStringParameters":{"q":"a\"}b","%[1]s":""}`,
	`"queryStringParameters":{"q":"{","%[1]s":""}`,
	`"queryStringParameters":{"q}":"}","sig":"%[1]s"}`,
	`"multiValueQueryStringParameters":{"q":["}"],"%[1]s":[""]}`,
	`"multiValueQueryStringParameters":{"q":["]}\"",""],"sig":["%[1]s"]}`,
	`\"queryStringParameters\":{\"q\":\"}\",\"%[1]s\":\"\"}`,
	`\"queryStringParameters\":{\"q\":\"a\\\"}b\",\"sig\":\"%[1]s\"}`,
	`Method request query string: {q=a}b, %[1]s=}`,
	`Method request query string: {q=a}b, %[1]s}`,
	`Method request query string: {q=}, sig=%[1]s}`,
}

// FuzzScrub scrubs any line, and lines that hold a bare query part in one
// of bareQueryShapes between any text: the part never comes out.
func FuzzScrub(f *testing.F) {
	for i, s := range []string{
		`{Authorization=Digest username="u", response="r"}`,
		`"Authorization": [ "Bearer x" ]`,
		`https:\/\/u:p@h\/p?a=1`,
		`"queryStringParameters":{"a":"b"}`,
		`"rawQueryString":"a=1"`,
		`Authorization=\"`, `cookie="`, `x-api-key=[`,
		`Resource Path: /a;b=c/d`, `"GET /p;x?y#z HTTP/1.1"`, `"path":"\/a;b=c\/d?e\u0026f"`, `https://h/p?a\u0026b=c`,
		`{"a":"b"} Method request query string: {`, `x-api-key=`, `"queryStringParameters":{`,
		`{'Authorization': 'Bearer x, y', 'a': 'b'}`, `{ 'x-api-key': 'k', cookie: 'a=b, c=d' }`, `'token': '`, `'token: x`,
		`{Set-Cookie=a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT, b=2, Host=h}`, `Cookie: a=1, b=`,
	} {
		f.Add([]byte(s), "s3cr3t", uint8(i))
	}
	// Every shape, between plain text.
	for i := range bareQueryShapes {
		f.Add([]byte("x y"), "s3cr3t", uint8(i))
	}
	f.Fuzz(func(t *testing.T, b []byte, token string, shape uint8) {
		in := append([]byte(nil), b...)
		out := scrub(b)
		if !bytes.Equal(b, in) {
			t.Fatal("scrub modified its input")
		}
		if again := scrub(out); !bytes.Equal(again, out) && len(again) > len(out)+len(scrubPlaceholder)*8 {
			t.Fatalf("scrub not settling: %q -> %q", out, again)
		}
		_ = termsafe.String(string(out))

		// The part is "BaRe" and those characters of token that a URL
		// leaves unreserved, as API keys use; b, cut in two, is the text
		// around it.
		const mark = "BaRe"
		if bytes.Contains(b, []byte(mark)) {
			return
		}
		part := mark + strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._~", r) {
				return r
			}
			return -1
		}, token)
		line := string(b[:len(b)/2]) + fmt.Sprintf(bareQueryShapes[int(shape)%len(bareQueryShapes)], part) + string(b[len(b)/2:])
		if !strings.Contains(line, part) {
			t.Fatalf("%q not planted in %q", part, line)
		}
		if got := scrub([]byte(line)); bytes.Contains(got, []byte(mark)) {
			t.Fatalf("bare query part kept:\nscrub(%q)\n  = %q", line, got)
		}
	})
}

// The scrubber knew six header names, so the custom headers APIs carry
// their tokens in (X-Auth-Token, X-Session-Id, a Lambda authorizer's
// authorizationToken, accessToken in a JSON body) were quoted as they
// came. Names are now judged by their words (internal/redact), and words
// that only look alike (authorizer, routeKey, Idempotency-Key) stay.
func TestBugScrubberMissesCustomCredentialNames(t *testing.T) {
	t.Parallel()
	const id = "(aaaaaaaa-1111-4222-8333-444444444444) "
	lines := []string{
		id + `Method request headers: {X-Auth-Token=SEC01X, X-Session-Id=SEC02X, Idempotency-Key=keep-1, Accept=*/*}`,
		id + `Endpoint request body after transformations: {"routeKey":"POST /p","headers":{"x-auth-token":"SEC03X","Ocp-Apim-Subscription-Key":"SEC04X"},"multiValueHeaders":{"X-Session-Id":["SEC05X"]},"body":"{\"accessToken\":\"SEC06X\",\"user\":\"keep-2\"}"}`,
		`{"msg":"x","event":"{\"type\":\"TOKEN\",\"authorizationToken\":\"Bearer SEC07X\",\"methodArn\":\"keep-3\"}"}`,
		id + `Starting authorizer: keep-4 for request: bbbbbbbb-1111-4222-8333-444444444444`,
		id + `Execution failed due to configuration error: authorizerError keep-5`,
		`x-api-secret: SEC08X`,
		id + `Method request query string: {session=SEC09X, page=2}`,
		id + `Endpoint request body after transformations: {"rawQueryString":"a=1&client_secret=SEC10X"}`,
	}
	var quoted []string
	for _, l := range lines {
		quoted = append(quoted, string(scrub([]byte(l))))
	}
	out := strings.Join(quoted, "\n")
	for i := 1; i <= 10; i++ {
		if secret := fmt.Sprintf("SEC%02dX", i); strings.Contains(out, secret) {
			t.Errorf("secret %s quoted", secret)
		}
	}
	for i := 1; i <= 5; i++ {
		if keep := fmt.Sprintf("keep-%d", i); !strings.Contains(out, keep) {
			t.Errorf("%s hidden too", keep)
		}
	}
	for _, keep := range []string{`"routeKey":"POST /p"`, "X-Auth-Token=", `\"accessToken\":\"`, "Starting authorizer:", "page="} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q not kept", keep)
		}
	}
	if t.Failed() {
		t.Logf("quoted:\n%s", out)
	}
}

// A query part without '=' (a token passed as the whole query) and path
// parameters (";jsessionid=" in a segment) were quoted as they came: in
// URLs, in escaped URLs, in an event's rawQueryString and in paths and
// request targets written without a scheme and host (an execution log's
// "Resource Path:", an event's "path", a request line). Parameter names,
// keys and the paths' segments stay.
func TestBugScrubberMissesBarePartsAndPathParams(t *testing.T) {
	t.Parallel()
	const id = "(aaaaaaaa-1111-4222-8333-444444444444) "
	lines := []string{
		id + `HTTP Method: GET, Resource Path: /app;jsessionid=SEC01X/orders`,
		id + `Endpoint request body after transformations: {"path":"/app;jsessionid=SEC02X;SEC03X/orders","rawPath":"\/app;sid=SEC04X\/orders","rawQueryString":"SEC05X&page=2"}`,
		`{"msg":"x","event":"{\"path\":\"/app;jsessionid=SEC06X/o\",\"rawQueryString\":\"SEC07X\"}"}`,
		`callback failed: Get "https://hooks.example.com/in;jsessionid=SEC08X/x?SEC09X&debug": EOF`,
		`{"callback":"https:\/\/hooks.example.com\/in;sid=SEC10X\/x?SEC11X"}`,
		`127.0.0.1 - - [04/Dec/2026:09:15:31 +0000] "GET /app;jsessionid=SEC12X/orders?SEC13X&keep-4=SEC14X HTTP/1.1" 200 2`,
		`redirect to /login?SEC15X#SEC16X (path=/a;b=SEC17X)`,
		`{"callback":"https://hooks.example.com/x?a=1\u0026SEC18X","path":"/p?b=2\u0026SEC19X","e":"https:\/\/h\/y?SEC20X\u0026c=SEC21X"}`,
	}
	var quoted []string
	for _, l := range lines {
		quoted = append(quoted, string(scrub([]byte(l))))
	}
	out := strings.Join(quoted, "\n")
	for i := 1; i <= 21; i++ {
		if secret := fmt.Sprintf("SEC%02dX", i); strings.Contains(out, secret) {
			t.Errorf("secret %s quoted", secret)
		}
	}
	for _, keep := range []string{
		"Resource Path: /app;jsessionid=REDACTED/orders",
		`"path":"/app;jsessionid=REDACTED;REDACTED/orders"`,
		`"rawQueryString":"REDACTED&page=REDACTED"`,
		"https://hooks.example.com/in;jsessionid=REDACTED/x?REDACTED&REDACTED",
		`"GET /app;jsessionid=REDACTED/orders?REDACTED&keep-4=REDACTED HTTP/1.1"`,
		"redirect to /login?REDACTED (path=/a;b=REDACTED)",
		"sid=REDACTED",
		`"https://hooks.example.com/x?a=REDACTED\u0026REDACTED"`,
		`"/p?b=REDACTED\u0026REDACTED"`,
		`"https:\/\/h\/y?REDACTED\u0026c=REDACTED"`,
	} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q not quoted", keep)
		}
	}
	// Lines with ';' and '?' that hold no path keep them.
	for _, l := range []string{
		id + `Method request headers: {Content-Type=application/json;charset=UTF-8, Accept=text/html;q=0.9}`,
		id + `Endpoint response body before transformations: {"message":"why?"}`,
		id + `Method request path: {id=a;b}`,
	} {
		if got := string(scrub([]byte(l))); got != l {
			t.Errorf("scrub(%q) = %q", l, got)
		}
	}
	if t.Failed() {
		t.Logf("quoted:\n%s", out)
	}
}

// A bare query part ("?SEC01X", a token passed as the whole query) was
// quoted as the key of a query map: API Gateway's Lambda events carry it
// as a key with an empty value ("queryStringParameters":{"SEC01X":""},
// "multiValueQueryStringParameters":{"SEC01X":[""]}), also as JSON inside
// a JSON string, and execution logs print their map as {SEC01X=}. Such a
// key is now hidden as redact.Query hides the part; keys with a value stay.
func TestBugScrubberKeepsBareQueryKeys(t *testing.T) {
	t.Parallel()
	const body = "(aaaaaaaa-1111-4222-8333-444444444444) Endpoint request body after transformations: "
	const qs = "(aaaaaaaa-1111-4222-8333-444444444444) Method request query string: "
	for _, c := range []struct{ name, in, want string }{{
		"REST event",
		body + `{"resource":"/p","queryStringParameters":{"SEC01X":""},"multiValueQueryStringParameters":{"SEC01X":[""]}}`,
		body + `{"resource":"/p","queryStringParameters":{"REDACTED":""},"multiValueQueryStringParameters":{"REDACTED":[""]}}`,
	}, {
		"REST event, bare part after a value",
		body + `{"queryStringParameters":{"a":"1","SEC02X":""},"multiValueQueryStringParameters":{"a":["1"],"SEC02X":[""]}}`,
		body + `{"queryStringParameters":{"a":"REDACTED","REDACTED":""},"multiValueQueryStringParameters":{"a":"REDACTED","REDACTED":[""]}}`,
	}, {
		"HTTP API event: rawQueryString and its map hide the part alike",
		body + `{"version":"2.0","rawQueryString":"SEC03X","queryStringParameters":{"SEC03X":""}}`,
		body + `{"version":"2.0","rawQueryString":"` + redact.Query("SEC03X") + `","queryStringParameters":{"` + redact.Query("SEC03X") + `":""}}`,
	}, {
		"empty and repeated lists, blanks",
		body + `{"multiValueQueryStringParameters":{"SEC04X":[],"SEC05X":["",""], "SEC06X" : [ "" ]}}`,
		body + `{"multiValueQueryStringParameters":{"REDACTED":[],"REDACTED":["",""], "REDACTED" : [ "" ]}}`,
	}, {
		"escaped JSON in a JSON record",
		`{"msg":"event","event":"{\"queryStringParameters\":{\"page\":\"2\",\"SEC07X\":\"\"},\"multiValueQueryStringParameters\":{\"SEC07X\":[\"\"]}}"}`,
		`{"msg":"event","event":"{\"queryStringParameters\":{\"page\":\"REDACTED\",\"REDACTED\":\"\"},\"multiValueQueryStringParameters\":{\"REDACTED\":[\"\"]}}"}`,
	}, {
		"bare parts named like credentials",
		body + `{"queryStringParameters":{"SEC08Xtoken":""},"headers":{},"rawQueryString":"SEC09Xsecret"}`,
		body + `{"queryStringParameters":{"REDACTED":""},"headers":{},"rawQueryString":"REDACTED"}`,
	}, {
		"execution log, key=",
		qs + `{SEC10X=}`,
		qs + `{REDACTED=}`,
	}, {
		"execution log, key= after a value",
		qs + `{token=abc, SEC11X=}`,
		qs + `{token=REDACTED, REDACTED=}`,
	}, {
		"execution log, key alone",
		qs + `{page=2, SEC12X}`,
		qs + `{page=REDACTED, REDACTED}`,
	}, {
		"execution log, named like a credential",
		qs + `{SEC13Xtoken=}`,
		qs + `{REDACTED=}`,
	}, {
		"execution log, lists",
		"Method request multi value query string: {page=[1, SEC14X], SEC15X=[], SEC16X=[, ]}",
		"Method request multi value query string: {page=REDACTED, REDACTED=[], REDACTED=[, ]}",
	}, {
		"keys with values stay readable",
		body + `{"queryStringParameters":{"page":"2","sort":"asc"},"multiValueQueryStringParameters":{"page":["2"]}}`,
		body + `{"queryStringParameters":{"page":"REDACTED","sort":"REDACTED"},"multiValueQueryStringParameters":{"page":"REDACTED"}}`,
	}, {
		"execution log keys with values stay readable",
		qs + `{page=2, sort=asc}`,
		qs + `{page=REDACTED, sort=REDACTED}`,
	}, {
		"empty maps stay",
		qs + `{}` + ` and {"queryStringParameters":{},"multiValueQueryStringParameters":null}`,
		qs + `{}` + ` and {"queryStringParameters":{},"multiValueQueryStringParameters":null}`,
	}} {
		if got := string(scrub([]byte(c.in))); got != c.want || strings.Contains(got, "SEC") {
			t.Errorf("%s:\nscrub(%s)\n  = %s\nwant %s", c.name, c.in, got, c.want)
		}
	}
}

// A query map's extent was found with [^}]*, so a '}' in a key or a value
// (decoded query values, which whoever sends the request chooses) ended
// the map early and every entry after it was quoted as it came: in an
// event's queryStringParameters and multiValueQueryStringParameters, as
// JSON and as JSON inside a JSON string, and in an execution log's map.
// The event's objects are now walked as JSON to their real end, strings
// and escapes honoured; an execution log's map, which does not quote,
// runs on past a '}' while more entries seem to follow, and an entry that
// holds such a '}' is hidden whole: the '}' may have ended the map after a
// bare part.
func TestBugScrubberQueryMapEndsAtBraceInValue(t *testing.T) {
	t.Parallel()
	const body = "(aaaaaaaa-1111-4222-8333-444444444444) Endpoint request body after transformations: "
	const qs = "(aaaaaaaa-1111-4222-8333-444444444444) Method request query string: "
	for _, c := range []struct{ name, in, want string }{{
		"'}' in a value",
		body + `{"queryStringParameters":{"q":"a}b","sig":"SEC01X"},"path":"/p"}`,
		body + `{"queryStringParameters":{"q":"REDACTED","sig":"REDACTED"},"path":"/p"}`,
	}, {
		"'}' in a list",
		body + `{"multiValueQueryStringParameters":{"q":["}"],"sig":["SEC02X"]},"httpMethod":"GET"}`,
		body + `{"multiValueQueryStringParameters":{"q":"REDACTED","sig":"REDACTED"},"httpMethod":"GET"}`,
	}, {
		"'}' in a key, bare part after it",
		body + `{"queryStringParameters":{"a}b":"1","SEC03X":""}}`,
		body + `{"queryStringParameters":{"a}b":"REDACTED","REDACTED":""}}`,
	}, {
		"escaped '\"' and '}' in a value",
		body + `{"queryStringParameters":{"q":"a\"}b","sig":"SEC04X"},"headers":{"Accept":"*/*"}}`,
		body + `{"queryStringParameters":{"q":"REDACTED","sig":"REDACTED"},"headers":{"Accept":"*/*"}}`,
	}, {
		"'{' and ']' in values",
		body + `{"queryStringParameters":{"q":"{","r":"{}}","sig":"SEC05X"},"multiValueQueryStringParameters":{"q":["]}",""],"SEC06X":[""]}}`,
		body + `{"queryStringParameters":{"q":"REDACTED","r":"REDACTED","sig":"REDACTED"},"multiValueQueryStringParameters":{"q":"REDACTED","REDACTED":[""]}}`,
	}, {
		"escaped JSON: '}' in a value",
		`{"msg":"event","event":"{\"queryStringParameters\":{\"q\":\"}\",\"sig\":\"SEC07X\"},\"path\":\"/p\"}"}`,
		`{"msg":"event","event":"{\"queryStringParameters\":{\"q\":\"REDACTED\",\"sig\":\"REDACTED\"},\"path\":\"/p\"}"}`,
	}, {
		"escaped JSON: escaped '\"' and '}' in a value, bare part after it",
		`{"msg":"event","event":"{\"queryStringParameters\":{\"q\":\"a\\\"}b\",\"SEC08X\":\"\"},\"path\":\"/p\"}"}`,
		`{"msg":"event","event":"{\"queryStringParameters\":{\"q\":\"REDACTED\",\"REDACTED\":\"\"},\"path\":\"/p\"}"}`,
	}, {
		"escaped JSON: '}' and '\"' in a list",
		`{"event":"{\"multiValueQueryStringParameters\":{\"q\":[\"}\\\"\"],\"sig\":[\"SEC09X\"]}}"}`,
		`{"event":"{\"multiValueQueryStringParameters\":{\"q\":\"REDACTED\",\"sig\":\"REDACTED\"}}"}`,
	}, {
		"object cut short: redacted to the end of the line",
		body + `{"queryStringParameters":{"q":"a}b","sig":"SEC10X`,
		body + `{"queryStringParameters":{"q":"REDACTED",REDACTED`,
	}, {
		"escaped object cut short by its string's end",
		`{"event":"{\"queryStringParameters\":{\"q\":\"a}b","x":"SEC11X"}`,
		`{"event":"{\"queryStringParameters\":{REDACTED`,
	}, {
		"execution log: '}' in a value",
		qs + `{q=a}b, sig=SEC12X}`,
		qs + `{REDACTED=REDACTED, sig=REDACTED}`,
	}, {
		"execution log: '}' ending a value, bare part after it",
		qs + `{q=}, SEC13X}`,
		qs + `{REDACTED=REDACTED, REDACTED}`,
	}, {
		"execution log: '}' in a value, nothing after it",
		qs + `{q=a}SEC14X}`,
		qs + `{REDACTED=REDACTED}`,
	}, {
		"execution log: '}' in a list",
		"Method request multi value query string: {q=[}], sig=[SEC15X]}",
		"Method request multi value query string: {REDACTED=REDACTED, sig=REDACTED}",
	}, {
		"execution log quoted in a JSON record: the record stays",
		`{"timestamp":1,"message":"` + qs + `{q=a}b, sig=SEC16X}","ingestionTime":2}`,
		`{"timestamp":1,"message":"` + qs + `{REDACTED=REDACTED, sig=REDACTED}","ingestionTime":2}`,
	}, {
		"keys and other fields stay readable",
		body + `{"resource":"/p","queryStringParameters":{"page":"}","sort":"asc"},"requestContext":{"stage":"prod"},"body":"{\"a\":\"}\"}"}`,
		body + `{"resource":"/p","queryStringParameters":{"page":"REDACTED","sort":"REDACTED"},"requestContext":{"stage":"prod"},"body":"{\"a\":\"}\"}"}`,
	}, {
		"execution log: the rest of the line stays",
		qs + `{page=2}`,
		qs + `{page=REDACTED}`,
	}} {
		got := string(scrub([]byte(c.in)))
		if got != c.want || strings.Contains(got, "SEC") {
			t.Errorf("%s:\nscrub(%s)\n  = %s\nwant %s", c.name, c.in, got, c.want)
		}
	}
}

// A long line of many query maps, each with a '}' in a value, is scrubbed
// whole: no secret after a '}' is kept. That its time stays linear in the
// length is BenchmarkScrubLongLine's to show (a test would time it).
func TestScrubQueryMapsLinear(t *testing.T) {
	t.Parallel()
	if bytes.Contains(scrub(longQueryMapsLine(1<<20)), []byte("S3CR3T")) {
		t.Fatal("secret kept")
	}
}

// longQueryMapsLine is a line of about n bytes made of query maps with
// '}' in their values, each with the secret S3CR3T after it.
func longQueryMapsLine(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"msg":"x"`)
	for b.Len() < n {
		b.WriteString(`,"queryStringParameters":{"q":"a}b\"}","sig":"S3CR3T","e":""},"multiValueQueryStringParameters":{"q":["}"],"sig":["S3CR3T"]}`)
		b.WriteString(`,"event":"{\"queryStringParameters\":{\"q\":\"}\\\"\",\"sig\":\"S3CR3T\"}}","m":"query string: {q=a}b, sig=S3CR3T}"`)
	}
	b.WriteString("}")
	return b.Bytes()
}

// BenchmarkScrubLongLine scrubs lines of 100 kB and 1 MB made of query
// maps: their MB/s stay alike when the scrubber is linear in the line
// (a rescan of the rest of the line per map made the 1 MB line about 9
// times slower a byte).
//
//	go test ./diagnose -run '^$' -bench ScrubLongLine
func BenchmarkScrubLongLine(b *testing.B) {
	for _, n := range []int{100 << 10, 1 << 20} {
		line := longQueryMapsLine(n)
		b.Run(strconv.Itoa(n>>10)+"kB", func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				scrub(line)
			}
		})
	}
}

// TestBugScrubberMissesPrintedObjects: a function that prints its event
// writes Python's dict repr ({'Authorization': 'Bearer ...'}) or Node's
// util.inspect ({ 'x-api-key': '...', cookie: 'a=b, c=d' }), names and
// values in single quotes. Such names were not recognised (only '"' closed
// a quoted name), so the credentials were quoted in the report as they
// came (a printed event in a Lambda log was listed as a malformed line,
// and a runtime's line of it can decide a verdict), and a single-quoted
// value was cut at its first comma, leaving the rest of a cookie header.
func TestBugScrubberMissesPrintedObjects(t *testing.T) {
	t.Parallel()
	lines := []string{
		"[INFO]\t2026-11-26T01:00:00.000Z\tc0000001-0000-4000-8000-000000000001\t{'resource': '/orders', 'headers': {'Authorization': 'Bearer SEC01X', 'Cookie': 'theme=dark, sid=SEC02X', 'x-api-key': 'SEC03X', 'Host': 'keep-1'}, " +
			"'multiValueHeaders': {'Authorization': ['Bearer SEC04X'], 'X-Amz-Security-Token': ['SEC05X', 'SEC06X']}, 'body': None}",
		"2026-11-26T01:00:00.000Z\tc0000001-0000-4000-8000-000000000001\tINFO\t{ headers: { 'x-api-key': 'SEC07X', cookie: 'theme=dark, sid=SEC08X', host: 'keep-2' }, " +
			"multiValueHeaders: { Authorization: [ 'Bearer SEC09X' ] } }",
		`{'token': 'it\'s SEC10X, really', 'user': 'keep-3'}`,
		`'token: SEC11X`,
	}
	var quoted []string
	for _, l := range lines {
		quoted = append(quoted, excerpt([]byte(l)))
	}
	out := strings.Join(quoted, "\n")
	for i := 1; i <= 11; i++ {
		if secret := fmt.Sprintf("SEC%02dX", i); strings.Contains(out, secret) {
			t.Errorf("secret %s quoted", secret)
		}
	}
	for _, keep := range []string{"'Host': 'keep-1'", "host: 'keep-2'", "'user': 'keep-3'", "'Authorization': 'REDACTED'", "cookie: 'REDACTED'"} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q missing", keep)
		}
	}
	if t.Failed() {
		t.Logf("quoted:\n%s", out)
	}
}

// TestBugScrubberCookieCommas: an execution log's header map writes a
// cookie header's value unquoted, and a value of Set-Cookie holds commas
// of its own: in an Expires date ("Expires=Wed, 21 Oct 2026 07:28:00
// GMT"), and between the cookies when a function sets several (API
// Gateway's header maps join multiple values with ", "). The value ended
// at its first comma, so a second cookie's value was quoted in the
// report. A cookie header's unquoted value now runs to the end of its
// map, or of its line.
func TestBugScrubberCookieCommas(t *testing.T) {
	t.Parallel()
	lines := []string{
		"(c0000001-0000-4000-8000-000000000001) Endpoint response headers: {Date=Wed, 02 Dec 2026 10:00:00 GMT, Set-Cookie=theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT, sid=SEC01X; HttpOnly, Content-Type=application/json}",
		"(c0000001-0000-4000-8000-000000000001) Method request headers: {Cookie=theme=dark, sid=SEC02X, Host=api.example}",
		"(c0000001-0000-4000-8000-000000000001) Method response headers: {set-cookie=a=1, session=SEC03X}",
		"Set-Cookie: a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT, sid=SEC04X",
	}
	for i, l := range lines {
		out := excerpt([]byte(l))
		if secret := fmt.Sprintf("SEC%02dX", i+1); strings.Contains(out, secret) {
			t.Errorf("secret %s quoted: %s", secret, out)
		}
	}
	// What stands before the cookie header in its map is kept.
	if out := excerpt([]byte(lines[0])); !strings.Contains(out, "Date=Wed, 02 Dec 2026 10:00:00 GMT") {
		t.Errorf("the Date before Set-Cookie is gone: %s", out)
	}
}
