package gatewayid

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
)

const (
	uuidSent  = "0b6c3f64-8c1e-4d7a-9f21-5a3e2c1d0e9f"
	uuidOwn   = "7e1d2c3b-4a59-4687-b8c9-d0e1f2a3b4c5"
	extID     = "K2Ib_G66IAMEF6g="
	httpAPIID = "U9euFi_ySQ0EPsw="
	cfID      = "u3Jm0xq1Zq9n0kJ2Hc1bHhW7bJ6uY9kqVb2lq5wJ0Xk2pZbq3v4Aaw=="
)

// answer builds a header with the names spelled exactly as given, the way
// they arrive from a server that wrote them in its own case.
func answer(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = append(h[kv[i]], kv[i+1])
	}
	return h
}

func TestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		sent     string
		h        http.Header
		want     string
		src      Source
		replaced bool
	}{
		{"REST adopted the UUID sent", uuidSent,
			answer("x-amzn-RequestId", uuidSent, "x-amz-apigw-id", extID), uuidSent, REST, false},
		{"REST adopted, upper-case UUID sent", strings.ToUpper(uuidSent),
			answer("x-amzn-RequestId", strings.ToUpper(uuidSent), "x-amz-apigw-id", extID), strings.ToUpper(uuidSent), REST, false},
		{"REST replaced a non-UUID", "my-trace-42",
			answer("x-amzn-RequestId", uuidOwn, "x-amz-apigw-id", extID), uuidOwn, REST, true},
		{"REST answered its own id, none sent", "",
			answer("x-amzn-RequestId", uuidOwn, "x-amz-apigw-id", extID), uuidOwn, REST, false},
		{"REST 403 without x-amz-apigw-id", uuidSent,
			answer("x-amzn-RequestId", uuidSent, "x-amzn-ErrorType", "MissingAuthenticationTokenException"), uuidSent, REST, false},
		{"HTTP API ignores the UUID sent", uuidSent,
			answer("Apigw-Requestid", httpAPIID), httpAPIID, HTTPAPI, false},
		{"HTTP API, nothing sent", "",
			answer("apigw-requestid", httpAPIID), httpAPIID, HTTPAPI, false},
		{"HTTP API passing a backend's x-amzn-RequestId on", uuidSent,
			answer("apigw-requestid", httpAPIID, "x-amzn-RequestId", uuidOwn), httpAPIID, HTTPAPI, false},
		{"REST answer with an apigw-requestid from behind it", uuidSent,
			answer("x-amzn-RequestId", uuidSent, "x-amz-apigw-id", extID, "apigw-requestid", httpAPIID), uuidSent, REST, false},
		{"CloudFront in front of REST (edge-optimised)", uuidSent,
			answer("x-amzn-RequestId", uuidSent, "x-amz-apigw-id", extID, "X-Amz-Cf-Id", cfID, "Via", "1.1 abc.cloudfront.net (CloudFront)"), uuidSent, REST, false},
		{"CloudFront's own 504: only its id, UUID sent", uuidSent,
			answer("x-amz-cf-id", cfID, "x-cache", "Error from cloudfront"), uuidSent, Sent, false},
		{"CloudFront's own 504, non-UUID sent", "abc",
			answer("x-amz-cf-id", cfID), "", None, false},
		{"custom domain, regional REST", uuidSent,
			answer("x-amzn-RequestId", uuidSent, "x-amz-apigw-id", extID), uuidSent, REST, false},
		{"custom domain, edge REST replaced the id", "not-a-uuid",
			answer("x-amzn-RequestId", uuidOwn, "x-amz-apigw-id", extID, "x-amz-cf-id", cfID), uuidOwn, REST, true},
		{"custom domain, HTTP API", uuidSent,
			answer("apigw-requestid", httpAPIID, "x-amz-cf-id", cfID), httpAPIID, HTTPAPI, false},
		{"no answer, UUID sent", uuidSent, nil, uuidSent, Sent, false},
		{"no answer, non-UUID sent", "s", nil, "", None, false},
		{"no answer, nothing sent", "", nil, "", None, false},
		{"answer without any id, nothing sent", "", answer("Content-Type", "text/html"), "", None, false},
		{"HTTP/2 lower-case names", uuidSent,
			answer("x-amzn-requestid", uuidSent, "x-amz-apigw-id", extID), uuidSent, REST, false},
		{"canonical names (Header.Set)", uuidSent,
			answer("X-Amzn-Requestid", uuidOwn, "X-Amz-Apigw-Id", extID), uuidOwn, REST, true},
		{"shouted names", "",
			answer("APIGW-REQUESTID", httpAPIID), httpAPIID, HTTPAPI, false},
		{"empty header values count as absent", uuidSent,
			answer("x-amzn-RequestId", "", "apigw-requestid", ""), uuidSent, Sent, false},
		{"UUID sent with a wrong dash", "0b6c3f64-8c1e-4d7a-9f215-a3e2c1d0e9f", nil, "", None, false},
		{"UUID in braces is not adopted", "{0b6c3f64-8c1e-4d7a-9f21-5a3e2c1d0e9}", nil, "", None, false},
	}
	for _, tt := range tests {
		ids := FromHeader(tt.sent, tt.h)
		id, src := ids.ID()
		if id != tt.want || src != tt.src {
			t.Errorf("%s: ID() = %q, %v; want %q, %v", tt.name, id, src, tt.want, tt.src)
		}
		if r := ids.Replaced(); r != tt.replaced {
			t.Errorf("%s: Replaced() = %v, want %v", tt.name, r, tt.replaced)
		}
	}
}

func TestFromHeaderFirstValue(t *testing.T) {
	t.Parallel()
	h := http.Header{"X-Amzn-Requestid": {"first", "second"}}
	if got := FromHeader("", h).Answered; got != "first" {
		t.Errorf("Answered = %q, want the first value", got)
	}
}

func TestSourceString(t *testing.T) {
	t.Parallel()
	for src, want := range map[Source]string{None: "none", HTTPAPI: "http_api", REST: "rest", Sent: "sent", Source(99): "none"} {
		if got := src.String(); got != want {
			t.Errorf("%d: %q, want %q", src, got, want)
		}
	}
}

var reUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func FuzzIsUUID(f *testing.F) {
	for _, s := range []string{uuidSent, strings.ToUpper(uuidOwn), "", "s", "0b6c3f64x8c1e-4d7a-9f21-5a3e2c1d0e9f", "0b6c3f6g-8c1e-4d7a-9f21-5a3e2c1d0e9f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := IsUUID(s)
		if want := reUUID.MatchString(s); got != want {
			t.Errorf("IsUUID(%q) = %v, the regexp says %v", s, got, want)
		}
		// The emulator (apigwtest) adopts what uuid.Parse accepts in 36
		// characters: the two must agree.
		if len(s) == 36 {
			if _, err := uuid.Parse(s); got != (err == nil) {
				t.Errorf("IsUUID(%q) = %v, uuid.Parse says %v", s, got, err)
			}
		}
	})
}

// FuzzID checks the rule's invariants on any ids, read from headers whose
// names are spelled in any case.
func FuzzID(f *testing.F) {
	f.Add(uuidSent, uuidSent, extID, "", uint8(0))
	f.Add(uuidSent, "", "", httpAPIID, uint8(1))
	f.Add("s", uuidOwn, extID, httpAPIID, uint8(2))
	f.Add(uuidSent, "", "", "", uint8(3))
	f.Add("", "", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, sent, answered, extended, httpAPI string, spelling uint8) {
		names := [][3]string{
			{"x-amzn-RequestId", "x-amz-apigw-id", "apigw-requestid"},
			{"X-Amzn-Requestid", "X-Amz-Apigw-Id", "Apigw-Requestid"},
			{"x-amzn-requestid", "x-amz-apigw-id", "apigw-requestid"},
			{"X-AMZN-REQUESTID", "X-AMZ-APIGW-ID", "APIGW-REQUESTID"},
		}[spelling%4]
		h := http.Header{}
		for i, v := range []string{answered, extended, httpAPI} {
			if v != "" {
				h[names[i]] = []string{v}
			}
		}
		ids := FromHeader(sent, h)
		if ids != (IDs{sent, answered, extended, httpAPI}) {
			t.Fatalf("FromHeader read %+v from %v", ids, h)
		}
		id, src := ids.ID()
		switch src {
		case None:
			if id != "" || answered != "" || httpAPI != "" || IsUUID(sent) {
				t.Errorf("None with id %q for %+v", id, ids)
			}
		case HTTPAPI:
			if id != httpAPI || id == "" {
				t.Errorf("HTTPAPI gave %q for %+v", id, ids)
			}
		case REST:
			if id != answered || id == "" {
				t.Errorf("REST gave %q for %+v", id, ids)
			}
		case Sent:
			if id != sent || !IsUUID(sent) || answered != "" || httpAPI != "" {
				t.Errorf("Sent gave %q for %+v", id, ids)
			}
		default:
			t.Errorf("source %d", src)
		}
		if httpAPI != "" && extended == "" && src != HTTPAPI {
			t.Errorf("an HTTP API's answer %+v gave %v", ids, src)
		}
		if ids.Replaced() && (src != REST || sent == "" || strings.EqualFold(sent, answered)) {
			t.Errorf("Replaced for %+v", ids)
		}
	})
}
