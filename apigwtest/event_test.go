package apigwtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/retryscope/retryscope/internal/xray"
)

// captured records the events a handler saw.
type captured struct {
	mu     sync.Mutex
	events []events.APIGatewayProxyRequest
	traces []string
	lambda []string
}

func (c *captured) handler(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
	tr, _ := ctx.Value("x-amzn-trace-id").(string)
	c.traces = append(c.traces, tr)
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		c.lambda = append(c.lambda, lc.AwsRequestID)
	}
	return events.APIGatewayProxyResponse{StatusCode: 200}, nil
}

func TestEvent(t *testing.T) {
	t.Parallel()
	var c captured
	s := NewServer(c.handler, fastScale, WithStage("v1"))
	defer s.Close()

	const clientID = "0b6e5c3c-8f2d-4c1e-9a7b-3d2f1e0c9b8a"
	const root = "1-5759e988-bd862e3fe1be46a994272793"
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/orders/42?a=1&a=2&b=x", strings.NewReader(`{"n":1}`))
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("x-amzn-RequestId", clientID)
	req.Header.Set("X-Amzn-Trace-Id", "Root="+root+";Parent=53995c3f42cd8ad8;Sampled=1")
	got := do(t, req)
	if got.header.Get("x-amzn-RequestId") != clientID {
		t.Errorf("client's request id not adopted: %q", got.header.Get("x-amzn-RequestId"))
	}
	if got.header.Get("X-Amzn-Trace-Id") != "Root="+root+";Sampled=1" {
		t.Errorf("trace not continued: %q", got.header.Get("X-Amzn-Trace-Id"))
	}
	ev := c.events[0]
	if ev.HTTPMethod != "POST" || ev.Path != "/orders/42" || ev.Body != `{"n":1}` || ev.IsBase64Encoded {
		t.Errorf("event %+v", ev)
	}
	if ev.Headers["X-Multi"] != "two" || strings.Join(ev.MultiValueHeaders["X-Multi"], ",") != "one,two" {
		t.Errorf("headers %v / %v", ev.Headers, ev.MultiValueHeaders)
	}
	if ev.QueryStringParameters["a"] != "2" || strings.Join(ev.MultiValueQueryStringParameters["a"], ",") != "1,2" || ev.QueryStringParameters["b"] != "x" {
		t.Errorf("query %v / %v", ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
	}
	rc := ev.RequestContext
	if rc.RequestID != clientID || rc.ExtendedRequestID != got.header.Get("x-amz-apigw-id") || rc.Stage != "v1" ||
		rc.Path != "/v1/orders/42" || rc.RequestTimeEpoch == 0 || ev.PathParameters["proxy"] != "orders/42" {
		t.Errorf("request context %+v", rc)
	}
	tr, ok := xray.Parse(c.traces[0])
	if !ok || tr.Root != root || tr.Parent == "" || tr.Parent == "53995c3f42cd8ad8" || tr.Sampled != "1" {
		t.Errorf("trace for the function %q", c.traces[0])
	}
	inv := s.Invocations()[0]
	if inv.LambdaRequestID != c.lambda[0] || inv.LambdaRequestID == clientID || inv.Header.Get("X-Multi") != "one" {
		t.Errorf("invocation %+v", inv)
	}

	// No query string: nil maps, as API Gateway sends null.
	_ = get(t, s.URL+"/")
	if ev := c.events[1]; ev.QueryStringParameters != nil || ev.Path != "/" || ev.Resource != "/" {
		t.Errorf("root event %+v", ev)
	}
}

func TestEventBinaryBody(t *testing.T) {
	t.Parallel()
	var c captured
	s := NewServer(c.handler, fastScale)
	defer s.Close()
	bin := []byte{0xff, 0xfe, 0x00, 0x01}
	req, _ := http.NewRequest(http.MethodPut, s.URL+"/blob", bytes.NewReader(bin))
	_ = do(t, req)
	ev := c.events[0]
	if !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("binary body %q base64=%v", ev.Body, ev.IsBase64Encoded)
	}
}

func TestInvalidRequestIDReplaced(t *testing.T) {
	t.Parallel()
	var access bytes.Buffer
	var c captured
	s := NewServer(c.handler, fastScale, WithAccessLog(&access))
	defer s.Close()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/x", nil)
	req.Header.Set("x-amzn-RequestId", "not-a-uuid")
	got := do(t, req)
	id := got.header.Get("x-amzn-RequestId")
	if !uuidRe.MatchString(id) || c.events[0].RequestContext.RequestID != id {
		t.Errorf("replacement id %q, event has %q", id, c.events[0].RequestContext.RequestID)
	}
	if !strings.Contains(access.String(), `"requestId":"`+id+`_REPLACED_INVALID_REQUEST_ID"`) {
		t.Errorf("access log %s", access.String())
	}
}

func TestResponseBase64Body(t *testing.T) {
	t.Parallel()
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString([]byte{1, 2, 3}), IsBase64Encoded: true,
			Headers: map[string]string{"Content-Type": "application/octet-stream"}}, nil
	}, fastScale)
	defer s.Close()
	if got := get(t, s.URL+"/x"); got.body != "\x01\x02\x03" {
		t.Errorf("body %q", got.body)
	}
}
