package apigwtest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// The fast encoder writes json.Marshal's bytes, or declines.
func TestAppendProxyResponseMatchesMarshal(t *testing.T) {
	for _, r := range []events.APIGatewayProxyResponse{
		{},
		{StatusCode: 200, Body: "ok"},
		{StatusCode: 503, Headers: map[string]string{}, MultiValueHeaders: map[string][]string{}},
		{StatusCode: -1, Headers: map[string]string{"b": "2", "a": "1", "Content-Type": "application/json"}},
		{StatusCode: 200, MultiValueHeaders: map[string][]string{"z": nil, "y": {}, "x": {"1", "2"}}, IsBase64Encoded: true, Body: "aGk="},
		{StatusCode: 200, Body: `{"a":"<b>&"}`},
		{StatusCode: 200, Body: `{"order":12}`, Headers: map[string]string{`q"\`: `\"x\`}},
		{StatusCode: 200, MultiValueHeaders: map[string][]string{`"`: {`\`, `a"b`}}},
		{StatusCode: 200, Headers: map[string]string{"k": "v\x7f"}},
		{StatusCode: 200, MultiValueHeaders: map[string][]string{"k\u00e9": {"v"}}},
		{StatusCode: 200, Body: "caf\u00e9 \xff"},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendProxyResponse(nil, &r)
		if ok && !bytes.Equal(got, want) {
			t.Errorf("%+v:\n got %s\nwant %s", r, got, want)
		}
		if _, plain := appendString(nil, r.Body); !ok && plain && r.Headers == nil && r.MultiValueHeaders == nil {
			t.Errorf("%+v: declined a plain response", r)
		}
	}
}

// checkProxyParsers fails when the fast reader accepts a payload and reads
// it otherwise than encoding/json does.
func checkProxyParsers(t *testing.T, payload []byte) {
	t.Helper()
	fast, ok := parseProxyResponseFast(payload)
	if !ok {
		return
	}
	slow, err := parseProxyResponse(payload)
	if err != nil {
		t.Fatalf("%q: fast path accepted what encoding/json refuses: %v", payload, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q:\nfast %#v\nslow %#v", payload, fast, slow)
	}
}

func TestParseProxyResponseFastMatchesJSON(t *testing.T) {
	accepted := 0
	for _, p := range []string{
		`{"statusCode":200,"headers":{"a":"1","B":"2"},"multiValueHeaders":{"c":["3","4"],"d":[]},"body":"hi"}`,
		`{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":"","isBase64Encoded":true}`,
		`{"body":null,"isBase64Encoded":false,"statusCode":0}`,
		`{"statusCode":-12}`,
		`{}`,
		`{"statusCode":200,"statusCode":201}`,
		`{"statusCode":200,"headers":{"a":"1","a":"2"}}`,
		`{"statusCode":2.5}`,
		`{"statusCode":012}`,
		`{"statusCode":"200"}`,
		`{"statusCode":200,"cookies":[]}`,
		`{"statusCode":200,"Body":"x"}`,
		`{"statusCode":200} `,
		`{"statusCode":200,"body":"{\"order\":12}","headers":{"a\\":"\"\\x"},"multiValueHeaders":{"\"":["\\"]}}`,
		`{"statusCode":200,"body":"a\/b"}`,
		`{"statusCode":200,"body":"a\u0041b"}`,
		`{"statusCode":200,"body":"a\"}`,
		`{"statusCode":200,"multiValueHeaders":{"c":null}}`,
		`{"statusCode":200,"headers":{"a":1}}`,
		`null`,
		`{"statusCode":200,}`,
		`{"statusCode":200`,
	} {
		if _, ok := parseProxyResponseFast([]byte(p)); ok {
			accepted++
		}
		checkProxyParsers(t, []byte(p))
	}
	if accepted != 6 {
		t.Errorf("fast path accepted %d plain payloads, want 6", accepted)
	}
}

func FuzzParseProxyResponseFast(f *testing.F) {
	f.Add([]byte(`{"statusCode":200,"headers":{"a":"1"},"multiValueHeaders":{"c":["3","4"]},"body":"hi","isBase64Encoded":true}`))
	f.Add([]byte(`{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":null}`))
	f.Add([]byte(`{"statusCode":200,"body":"{\"order\":1}\\"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkProxyParsers(t, payload)
		// Whatever path reads it, the outcome is what encoding/json's gives.
		slow, serr := parseProxyResponse(payload)
		got, gerr := mapProxyResponse(payload)
		var want proxyResponse
		werr := serr
		if serr == nil {
			want, werr = mapRawProxyResponse(&slow)
		}
		// (Headers are left out: two names of one canonical form merge in
		// map order, by either path.)
		if (gerr == nil) != (werr == nil) || gerr == nil && (got.status != want.status || !bytes.Equal(got.body, want.body)) {
			t.Fatalf("%q: got %v %v, want %v %v", payload, got, gerr, want, werr)
		}
	})
}

func TestRequestTimeMatchesFormat(t *testing.T) {
	for _, tm := range []time.Time{
		time.Unix(0, 0), time.Date(2026, 12, 3, 9, 5, 7, 999, time.UTC),
		time.Date(1999, 1, 31, 23, 59, 59, 0, time.FixedZone("x", -7*3600)),
		time.Date(10000, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(-3, 5, 1, 0, 0, 0, 0, time.UTC),
		time.Date(7, 9, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := requestTime(tm), tm.UTC().Format("02/Jan/2006:15:04:05 -0700"); got != want {
			t.Errorf("%v: got %q, want %q", tm, got, want)
		}
	}
}

func TestNewRootShape(t *testing.T) {
	for _, tc := range []struct {
		unix  int64
		epoch string
	}{{0, "00000000"}, {0x5f5e100, "05f5e100"}, {1<<32 - 1, "ffffffff"}, {1 << 32, "00000000"}, {-1, "000000-1"}} {
		r := newRoot(time.Unix(tc.unix, 0))
		want := "1-" + tc.epoch + "-"
		if len(r) != len(want)+24 || r[:len(want)] != want {
			t.Errorf("newRoot(%d) = %q, want %s + 24 hex digits", tc.unix, r, want)
		}
	}
}
