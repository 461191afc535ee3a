package apigwtest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// inProcess runs a Handler (payload format 1.0) or an HTTPAPIHandler
// (2.0), whichever is set, in the server's process.
type inProcess struct {
	fn   Handler
	fnV2 HTTPAPIHandler
	s    *Server
}

func (p inProcess) start(ctx context.Context) (environment, error) {
	if err := sleepContext(ctx, p.s.scale(p.s.cfg.coldStart)); err != nil {
		return nil, &functionError{Type: "Runtime.Closed", Message: errServerClosed.Error()}
	}
	return &inProcessEnv{fn: p.fn, fnV2: p.fnV2, timeScale: p.s.cfg.timeScale}, nil
}

// inProcessEnv is an execution environment of an in-process handler. It
// breaks (is not reused) after a panic or a function timeout, as Lambda
// replaces the environment of a Go runtime that exited.
type inProcessEnv struct {
	fn        Handler
	fnV2      HTTPAPIHandler
	timeScale float64
	broken    atomic.Bool
}

type timeScaleKey struct{}

func (e *inProcessEnv) invoke(ctx context.Context, c *call) (payload []byte, ferr *functionError) {
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       c.lambdaID,
		InvokedFunctionArn: functionARN,
	})
	// aws-lambda-go passes the trace id under this string key; handlers
	// written for Lambda read it from there.
	//lint:ignore SA1029 the key is aws-lambda-go's, not ours to choose
	ctx = context.WithValue(ctx, "x-amzn-trace-id", c.trace)
	ctx = context.WithValue(ctx, timeScaleKey{}, e.timeScale)
	defer func() {
		if v := recover(); v != nil {
			e.broken.Store(true)
			payload, ferr = nil, &functionError{Type: panicType(v), Message: fmt.Sprint(v)}
		}
	}()
	var b []byte
	if e.fnV2 != nil {
		resp, err := e.fnV2(ctx, *c.eventV2)
		if err != nil {
			return nil, &functionError{Type: errorType(err), Message: err.Error()}
		}
		if b, err = json.Marshal(resp); err != nil {
			return nil, &functionError{Type: "Runtime.MarshalError", Message: err.Error()}
		}
	} else {
		resp, err := e.fn(ctx, *c.event)
		if err != nil {
			return nil, &functionError{Type: errorType(err), Message: err.Error()}
		}
		var ok bool
		b, ok = appendProxyResponse(make([]byte, 0, 256+len(resp.Body)), &resp)
		if !ok {
			if b, err = json.Marshal(resp); err != nil {
				return nil, &functionError{Type: "Runtime.MarshalError", Message: err.Error()}
			}
		}
	}
	if len(b) > maxResponsePayload {
		return nil, responseTooLarge()
	}
	return b, nil
}

func (e *inProcessEnv) alive() bool            { return !e.broken.Load() }
func (e *inProcessEnv) settle(context.Context) {}
func (e *inProcessEnv) close()                 { e.broken.Store(true) }

// errorType names an error's type as aws-lambda-go reports it.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func panicType(v any) string {
	if err, ok := v.(error); ok {
		return errorType(err)
	}
	return reflect.TypeOf(v).String()
}

// Sleep pauses a handler for d of emulated time: d multiplied by the time
// scale of the server that invoked it (1 outside a server). It returns early
// with ctx's error when ctx is done (function timeout or Close).
func Sleep(ctx context.Context, d time.Duration) error {
	if f, ok := ctx.Value(timeScaleKey{}).(float64); ok {
		d = time.Duration(float64(d) * f)
	}
	return sleepContext(ctx, d)
}
