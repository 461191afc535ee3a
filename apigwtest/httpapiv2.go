package apigwtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// HTTPAPIHandler is an aws-lambda-go handler of an HTTP API's Lambda
// integration with payload format 2.0: the function behind the gateway.
type HTTPAPIHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// NewHTTPAPIServer starts a server whose function is fn, run in-process as
// NewServer runs a Handler, behind an HTTP API whose Lambda integration
// uses payload format 2.0: it implies WithHTTPAPI and
// WithPayloadFormat("2.0") (passing WithPayloadFormat("1.0") panics). The
// gateway's answers, timeouts (503 at the 30 s integration timeout while
// the function runs on), logs and Server.Invocations are those of
// WithHTTPAPI; only the event and the reading of the response differ.
//
// The event (events.APIGatewayV2HTTPRequest) has version "2.0", routeKey
// "$default", rawPath (with the stage's prefix when WithStage names one),
// rawQueryString as sent, the Cookie header split into cookies, the other
// headers under lower-case names with repeated ones joined by commas,
// queryStringParameters with repeated values joined by commas, the body
// (base64 with isBase64Encoded when it is not valid UTF-8) and a
// requestContext whose requestId is the HTTP API's own id (the
// Apigw-Requestid of the answer).
//
// The response is read as AWS reads a 2.0 response: with a statusCode, its
// headers, cookies (one Set-Cookie each), body and isBase64Encoded
// (multiValueHeaders and unknown fields are ignored); without one (any
// other valid JSON, which fn's return type cannot produce but a runtime
// binary's can), a 200 application/json whose body is the JSON returned,
// or the string's text for a JSON string. A zero StatusCode, a status
// outside 200 to 599 or bad base64 is malformed: 500
// {"message":"Internal Server Error"}, as for a function error. It panics
// if it cannot listen, like httptest.NewServer.
func NewHTTPAPIServer(fn HTTPAPIHandler, opts ...Option) *Server {
	if fn == nil {
		panic("apigwtest: NewHTTPAPIServer with a nil handler")
	}
	return newServer(func(s *Server) backend { return inProcess{fnV2: fn, s: s} }, opts, payloadFormat2)
}

// buildEventV2 makes the payload format 2.0 event an HTTP API would send
// for r, whose path has already lost the stage prefix. The gateway's own
// headers, the body and the ids and times are those of buildEvent.
func (s *Server) buildEventV2(r *http.Request, path string, body []byte, g *gatewayRequest) events.APIGatewayV2HTTPRequest {
	rawPath := path
	if s.cfg.stage != "" {
		// A named stage stays in rawPath [inferred].
		rawPath = "/" + s.cfg.stage + path
	}
	clientIP := clientAddr(r)
	ev := events.APIGatewayV2HTTPRequest{
		Version:        payloadFormat2,
		RouteKey:       "$default",
		RawPath:        rawPath,
		RawQueryString: r.URL.RawQuery,
		Headers:        make(map[string]string, len(r.Header)+5),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "$default",
			AccountID:    accountID,
			Stage:        s.stageName(),
			RequestID:    g.requestID,
			APIID:        apiID,
			DomainName:   apiID + ".execute-api." + region + ".amazonaws.com",
			DomainPrefix: apiID,
			Time:         requestTime(g.start),
			TimeEpoch:    g.start.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      rawPath,
				Protocol:  r.Proto,
				SourceIP:  clientIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	for k, vs := range r.Header {
		if len(vs) == 0 || gatewayHeaders[k] {
			continue
		}
		if k == "Cookie" {
			// The cookies leave the headers for their own field [inferred].
			ev.Cookies = appendCookies(ev.Cookies, vs)
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	s.gatewayEventHeaders(r, g, clientIP, func(k, v string) {
		ev.Headers[strings.ToLower(k)] = v
	})
	if r.URL.RawQuery != "" {
		if q := r.URL.Query(); len(q) > 0 {
			ev.QueryStringParameters = make(map[string]string, len(q))
			for k, vs := range q {
				ev.QueryStringParameters[k] = strings.Join(vs, ",")
			}
		}
	}
	ev.Body, ev.IsBase64Encoded = eventBody(body)
	return ev
}

// appendCookies appends the cookies of Cookie header values ("a=1; b=2")
// to cookies, one "name=value" each, blanks around them and empty ones
// dropped.
func appendCookies(cookies []string, values []string) []string {
	for _, v := range values {
		for c := range strings.SplitSeq(v, ";") {
			if c = strings.TrimSpace(c); c != "" {
				cookies = append(cookies, c)
			}
		}
	}
	return cookies
}

// mapHTTPAPIResponse maps a function's payload format 2.0 response to the
// status, header and body an HTTP API sends. Invalid JSON is malformed.
// Valid JSON that is not an object with a statusCode is the body of a 200
// with Content-Type application/json: the JSON as returned, or a JSON
// string's text (the documented inference). An object with a statusCode
// is mapped as mapRawProxyResponse maps a 1.0 response, from its
// statusCode, headers, body and isBase64Encoded, plus one Set-Cookie per
// entry of cookies; multiValueHeaders, which 2.0 does not have, and
// unknown fields are ignored [inferred]. A field of the wrong type is
// malformed, as in 1.0 [inferred].
func mapHTTPAPIResponse(payload []byte) (proxyResponse, error) {
	if !json.Valid(payload) {
		return proxyResponse{}, fmt.Errorf("%w: invalid JSON", errMalformed)
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(payload, &fields) // fails, or stays nil, when not an object
	status, structured := fields["statusCode"]
	if !structured {
		return inferredResponse(payload), nil
	}
	raw := rawProxyResponse{StatusCode: status}
	var cookies []string
	for k, v := range fields {
		var err error
		switch k {
		case "headers":
			err = json.Unmarshal(v, &raw.Headers)
		case "body":
			err = json.Unmarshal(v, &raw.Body)
		case "isBase64Encoded":
			err = json.Unmarshal(v, &raw.IsBase64Encoded)
		case "cookies":
			err = json.Unmarshal(v, &cookies)
		}
		if err != nil {
			return proxyResponse{}, fmt.Errorf("%w: %s: %v", errMalformed, k, err)
		}
	}
	p, err := mapRawProxyResponse(&raw)
	if err != nil {
		return proxyResponse{}, err
	}
	for _, c := range cookies {
		p.header.Add("Set-Cookie", cleanHeaderValue(c))
	}
	return p, nil
}

// inferredResponse is the response an HTTP API infers from valid JSON
// without a statusCode.
func inferredResponse(payload []byte) proxyResponse {
	body := payload
	var text string
	if trimmed := bytes.TrimSpace(payload); len(trimmed) > 0 && trimmed[0] == '"' && json.Unmarshal(trimmed, &text) == nil {
		body = []byte(text)
	}
	return proxyResponse{
		status: http.StatusOK,
		header: http.Header{"Content-Type": {"application/json"}},
		body:   body,
	}
}
