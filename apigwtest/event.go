package apigwtest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/internal/httpsyntax"
)

// Constants of the emulated account, as they appear in events and logs.
const (
	accountID    = "123456789012"
	region       = "us-east-1"
	apiID        = "a1b2c3d4e5"
	functionName = "retryscope-apigwtest"
	functionARN  = "arn:aws:lambda:" + region + ":" + accountID + ":function:" + functionName
	lambdaURL    = "https://lambda." + region + ".amazonaws.com/2015-03-31/functions/" + functionARN + "/invocations"
)

// buildEvent makes the Lambda proxy event (payload format 1.0) API Gateway
// would send for r, whose path has already lost the stage prefix.
func (s *Server) buildEvent(r *http.Request, path string, body []byte, g *gatewayRequest) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{
		Resource:   "/{proxy+}",
		Path:       path,
		HTTPMethod: r.Method,
	}
	if p := strings.TrimPrefix(path, "/"); p != "" {
		ev.PathParameters = map[string]string{"proxy": p}
	} else {
		ev.Resource = "/"
	}
	// API Gateway passes every header, the last value in headers and all of
	// them in multiValueHeaders, and adds its own forwarding headers.
	n := len(r.Header) + 6
	ev.Headers = make(map[string]string, n)
	ev.MultiValueHeaders = make(map[string][]string, n)
	// Every value list is a copy of its own, all carved from one array
	// (each capped at its length, so an append by the handler copies).
	total := 5
	for _, vs := range r.Header {
		total += len(vs)
	}
	values := make([]string, 0, total)
	own := func(vs ...string) []string {
		i := len(values)
		values = append(values, vs...)
		return values[i:len(values):len(values)]
	}
	add := func(name, k string) {
		vs := r.Header[k]
		if len(vs) == 0 || gatewayHeaders[k] || !s.cfg.httpAPI && droppedForLambda[k] {
			return
		}
		ev.Headers[name] = vs[len(vs)-1]
		ev.MultiValueHeaders[name] = own(vs...)
	}
	switch {
	case s.cfg.httpAPI:
		for k := range r.Header {
			add(httpAPIHeaderName(k), k)
		}
	case g.wire != nil:
		// A REST API keeps the names as the client wrote them.
		for _, w := range g.wire {
			add(w.raw, w.canonical)
		}
	default:
		for k := range r.Header {
			add(k, k)
		}
	}
	clientIP := clientAddr(r)
	s.gatewayEventHeaders(r, g, clientIP, func(k, v string) {
		ev.Headers[k] = v
		ev.MultiValueHeaders[k] = own(v)
	})
	if r.URL.RawQuery == "" {
		// no query: nothing to parse
	} else if q := r.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		ev.MultiValueQueryStringParameters = make(map[string][]string, len(q))
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
			ev.MultiValueQueryStringParameters[k] = vs
		}
	}
	ev.Body, ev.IsBase64Encoded = eventBody(body)
	stagePath := path
	if s.cfg.stage != "" {
		stagePath = "/" + s.cfg.stage + path
	}
	ev.RequestContext = events.APIGatewayProxyRequestContext{
		AccountID:         accountID,
		ResourceID:        "abc123",
		Stage:             s.stageName(),
		DomainName:        apiID + ".execute-api." + region + ".amazonaws.com",
		DomainPrefix:      apiID,
		RequestID:         g.requestID,
		ExtendedRequestID: g.extendedID,
		Protocol:          r.Proto,
		Identity:          events.APIGatewayRequestIdentity{SourceIP: clientIP, UserAgent: r.UserAgent()},
		ResourcePath:      ev.Resource,
		Path:              stagePath,
		HTTPMethod:        r.Method,
		RequestTime:       requestTime(g.start),
		RequestTimeEpoch:  g.start.UnixMilli(),
		APIID:             apiID,
	}
	return ev
}

// clientAddr is the address that called the gateway, without its port.
func clientAddr(r *http.Request) string {
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	return ip
}

// gatewayEventHeaders calls set with each header the gateway writes into
// the event itself, under its canonical name: Host, the X-Forwarded-*
// headers and X-Amzn-Trace-Id. Both payload formats take them from here.
func (s *Server) gatewayEventHeaders(r *http.Request, g *gatewayRequest, clientIP string, set func(k, v string)) {
	if r.Host != "" {
		// The Host the client addressed ("<api id>.execute-api...." in
		// AWS's sample events); net/http keeps it out of r.Header.
		set("Host", r.Host)
	}
	// The gateway appends the address that called it to the client's own
	// X-Forwarded-For (docs/aws-behaviour.md#x-forwarded-for).
	forwarded := clientIP
	if prior := r.Header.Values("X-Forwarded-For"); len(prior) > 0 {
		forwarded = strings.Join(prior, ", ") + ", " + clientIP
	}
	set("X-Forwarded-For", forwarded)
	set("X-Forwarded-Port", "443")
	set("X-Forwarded-Proto", "https")
	if s.cfg.httpAPI {
		// An HTTP API passes the Root alone.
		set("X-Amzn-Trace-Id", "Root="+g.trace.Root)
	} else {
		set("X-Amzn-Trace-Id", g.traceString())
	}
}

// eventBody is a request body as the event carries it, in either payload
// format: none for an empty body, the text for valid UTF-8, else base64.
func eventBody(body []byte) (text string, isBase64 bool) {
	if len(body) == 0 {
		return "", false
	}
	// A body that is not valid UTF-8 cannot travel as a JSON string:
	// base64 it, as API Gateway does for binary media types [inferred].
	if utf8.Valid(body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

// droppedForLambda are the request headers a REST API does not pass to a
// Lambda integration (the request column, "lambda", of the table in
// "Amazon API Gateway important notes for REST APIs",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html);
// keys canonical, as net/http leaves them. Host is set from r.Host.
var droppedForLambda = map[string]bool{
	"Connection": true, "Content-Md5": true, "Expect": true, "Max-Forwards": true,
	"Proxy-Authenticate": true, "Server": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Www-Authenticate": true,
}

// gatewayHeaders are the request headers the gateway writes into the
// event itself, replacing any the client sent (keys canonical).
var gatewayHeaders = map[string]bool{
	"X-Amzn-Trace-Id": true, "X-Forwarded-For": true, "X-Forwarded-Port": true, "X-Forwarded-Proto": true,
}

// httpAPIHeaderName is the name under which an HTTP API's payload 1.0
// event carries the header whose canonical name is k: lower case, but for
// the names published events show capitalised.
func httpAPIHeaderName(k string) string {
	switch k {
	case "Content-Length", "Content-Type", "Host", "User-Agent",
		"X-Amzn-Trace-Id", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto":
		return k
	}
	return strings.ToLower(k)
}

func (s *Server) stageName() string {
	if s.cfg.stage == "" && s.cfg.httpAPI {
		return "$default"
	}
	return s.cfg.stage
}

// proxyResponse is a function's response mapped to HTTP.
type proxyResponse struct {
	status int
	header http.Header
	body   []byte
}

// errMalformed is a function response API Gateway cannot map: the client
// gets 502 and the execution log says "Malformed Lambda proxy response".
var errMalformed = errors.New("malformed Lambda proxy response")

// mapProxyResponse maps a Lambda proxy integration response (the JSON a
// function returns) to the status, header and body API Gateway sends. It
// accepts exactly the fields of events.APIGatewayProxyResponse; anything
// else (unknown fields, a missing or out-of-range statusCode, a non-string
// header value, bad base64 with isBase64Encoded) is malformed, and the
// client would get 502. The range is 200 to 599: a 1xx status cannot end
// an HTTP exchange, so it is malformed too [inferred]. headers and
// multiValueHeaders are merged.
func mapProxyResponse(payload []byte) (proxyResponse, error) {
	raw, ok := parseProxyResponseFast(payload)
	if !ok {
		var err error
		if raw, err = parseProxyResponse(payload); err != nil {
			return proxyResponse{}, err
		}
	}
	return mapRawProxyResponse(&raw)
}

// parseProxyResponse reads a proxy response with encoding/json.
func parseProxyResponse(payload []byte) (rawProxyResponse, error) {
	var raw rawProxyResponse
	var fields map[string]json.RawMessage
	if !json.Valid(payload) {
		return raw, fmt.Errorf("%w: invalid JSON", errMalformed)
	}
	if err := json.Unmarshal(payload, &fields); err != nil || fields == nil {
		return raw, fmt.Errorf("%w: not a JSON object", errMalformed)
	}
	// Field names match exactly (encoding/json alone would ignore case).
	for k, v := range fields {
		var err error
		switch k {
		case "statusCode":
			raw.StatusCode = v
		case "headers":
			err = json.Unmarshal(v, &raw.Headers)
		case "multiValueHeaders":
			err = json.Unmarshal(v, &raw.MultiValueHeaders)
		case "body":
			err = json.Unmarshal(v, &raw.Body)
		case "isBase64Encoded":
			err = json.Unmarshal(v, &raw.IsBase64Encoded)
		case "cookies":
			// tolerated (HTTP APIs use it); ignored
		default:
			err = errors.New("unknown field")
		}
		if err != nil {
			return raw, fmt.Errorf("%w: %s: %v", errMalformed, k, err)
		}
	}
	return raw, nil
}

// mapRawProxyResponse checks and maps the fields read.
func mapRawProxyResponse(raw *rawProxyResponse) (proxyResponse, error) {
	if raw.StatusCode == nil {
		return proxyResponse{}, fmt.Errorf("%w: no statusCode", errMalformed)
	}
	// A JSON integer only: no string, no exponent [inferred]. Not 1xx:
	// net/http would send it as an interim response followed by a 200.
	status, err := strconv.Atoi(string(raw.StatusCode))
	if err != nil || status < 200 || status > 599 {
		return proxyResponse{}, fmt.Errorf("%w: statusCode %s", errMalformed, raw.StatusCode)
	}
	h := make(http.Header, len(raw.Headers)+len(raw.MultiValueHeaders)+4)
	for k, vs := range raw.MultiValueHeaders {
		if !httpsyntax.IsToken(k) {
			return proxyResponse{}, fmt.Errorf("%w: header name %q", errMalformed, k)
		}
		for _, v := range vs {
			h.Add(k, cleanHeaderValue(v))
		}
	}
	for k, v := range raw.Headers {
		if !httpsyntax.IsToken(k) {
			return proxyResponse{}, fmt.Errorf("%w: header name %q", errMalformed, k)
		}
		if _, dup := raw.MultiValueHeaders[k]; !dup {
			h.Set(k, cleanHeaderValue(v))
		}
	}
	var body []byte
	if raw.Body != nil {
		if raw.IsBase64Encoded {
			body, err = base64.StdEncoding.DecodeString(*raw.Body)
			if err != nil {
				return proxyResponse{}, fmt.Errorf("%w: body: %v", errMalformed, err)
			}
		} else {
			body = []byte(*raw.Body)
		}
	}
	return proxyResponse{status: status, header: h, body: body}, nil
}

// cleanHeaderValue drops the control characters a header value may not
// hold (RFC 9110 5.5: all but HTAB), so a function cannot break the
// connection: net/http sends them, and clients (net/http's among them)
// refuse the response as malformed.
func cleanHeaderValue(v string) string {
	if strings.IndexFunc(v, httpsyntax.IsCTL) < 0 {
		return v
	}
	return strings.Map(func(r rune) rune {
		if httpsyntax.IsCTL(r) {
			return -1
		}
		return r
	}, v)
}

// requestTimeEpoch formats t as $context.requestTimeEpoch (milliseconds).
func requestTimeEpoch(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// requestTime formats t as $context.requestTime, t.UTC().Format of
// "02/Jan/2006:15:04:05 -0700" without the layout's interpretation (a
// year outside 0 to 9999 takes that path).
func requestTime(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format("02/Jan/2006:15:04:05 -0700")
	}
	hour, minute, sec := t.Clock()
	var b [26]byte
	two := func(i, v int) { b[i], b[i+1] = byte('0'+v/10), byte('0'+v%10) }
	two(0, day)
	b[2] = '/'
	copy(b[3:6], month.String()[:3])
	b[6] = '/'
	two(7, year/100)
	two(9, year%100)
	b[11] = ':'
	two(12, hour)
	b[14] = ':'
	two(15, minute)
	b[17] = ':'
	two(18, sec)
	copy(b[20:], " +0000")
	return string(b[:])
}
