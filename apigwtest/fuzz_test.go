package apigwtest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/retryscope/retryscope/internal/httpsyntax"
)

func FuzzMapProxyResponse(f *testing.F) {
	for _, s := range []string{
		`{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":"hi"}`,
		`{"statusCode":201,"headers":{"A":"1"},"multiValueHeaders":{"B":["1","2"]},"body":"aGk=","isBase64Encoded":true}`,
		`{"statusCode":"200","body":"x"}`,
		`{"statusCode":0}`,
		`{"statusCode":200,"extra":1}`,
		`{"statusCode":200,"body":"!!","isBase64Encoded":true}`,
		`{"statusCode":200,"headers":{"Bad Name":"x"}}`,
		`{"statusCode":200,"headers":{"X":"a\r\nInjected: 1"}}`,
		`"OK"`,
		`null`,
		`{"statusCode":200}{}`,
		`{"statusCode":2e2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		p, err := mapProxyResponse(payload)
		status, header := p.status, p.header
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("error %v is not errMalformed", err)
			}
			return
		}
		if status < 200 || status > 599 {
			t.Fatalf("status %d accepted", status)
		}
		if !json.Valid(payload) {
			t.Fatalf("invalid JSON accepted: %q", payload)
		}
		for k, vs := range header {
			if !httpsyntax.IsToken(k) {
				t.Fatalf("header name %q", k)
			}
			for _, v := range vs {
				for i := 0; i < len(v); i++ {
					if v[i] < ' ' && v[i] != '\t' || v[i] == 0x7f {
						t.Fatalf("header value %q", v)
					}
				}
			}
		}
	})
}

func TestMapProxyResponse(t *testing.T) {
	for _, tc := range []struct {
		payload string
		status  int // 0: malformed
	}{
		{`{"statusCode":200,"headers":null,"multiValueHeaders":null,"body":"hi"}`, 200},
		{`{"statusCode":404}`, 404},
		{`{"statusCode":"200"}`, 0},
		{`{"statusCode":0,"headers":null,"multiValueHeaders":null,"body":""}`, 0},
		{`{"statusCode":200,"unknown":true}`, 0},
		{`{"body":"x"}`, 0},
		{`"OK"`, 0},
		{`{"statusCode":200,"body":"%%","isBase64Encoded":true}`, 0},
	} {
		p, err := mapProxyResponse([]byte(tc.payload))
		status := p.status
		if status != tc.status || (err != nil) != (tc.status == 0) {
			t.Errorf("%s: %d %v, want %d", tc.payload, status, err, tc.status)
		}
	}
}
