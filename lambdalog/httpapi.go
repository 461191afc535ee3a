package lambdalog

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// HTTPAPIHandler is an aws-lambda-go handler for HTTP API (v2) Lambda
// integrations with payload format 2.0.
type HTTPAPIHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// WrapHTTPAPI is Wrap for HTTP API payload format 2.0 events. The Record's
// APIGatewayRequestID is requestContext.requestId (the apigw-requestid the
// client sees; HTTP APIs make their own ids), ExtendedRequestID is empty,
// Resource is the route key ("GET /orders/{id}" gives "/orders/{id}").
// Cookies, query values and the body are never logged.
func WrapHTTPAPI(h HTTPAPIHandler, opts ...Option) HTTPAPIHandler {
	r := newRecorder(opts)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		var resp events.APIGatewayV2HTTPResponse
		resource := ev.RouteKey
		if _, route, ok := strings.Cut(ev.RouteKey, " "); ok {
			resource = route
		}
		facts := requestFacts{
			apigwID: ev.RequestContext.RequestID, method: ev.RequestContext.HTTP.Method,
			resource: resource, headers: eventHeaders(ev.Headers, nil),
		}
		err := r.record(ctx, facts, func(ctx context.Context) (int, error) {
			var err error
			resp, err = h(ctx, ev)
			return resp.StatusCode, err
		})
		return resp, err
	}
}
