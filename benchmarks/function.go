package benchmarks

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/apigwtest"
)

// HeaderRequest carries the logical request's index on every attempt, so the
// function and the emulator's ground truth can group attempts and
// executions by logical request.
const HeaderRequest = "X-Bench-Request"

const headerIdempotencyKey = "Idempotency-Key"

// Function is the Lambda function of a run. It counts its side-effecting
// executions per logical request, and dedupes by Idempotency-Key the way
// AWS Lambda Powertools' idempotency utility does: the first request with a
// key claims it (in progress), works, performs its side effect and stores
// its answer; a later request with a key that completed gets the stored
// answer without executing; one whose key is still in progress gets 409.
// Requests without a key always execute. It is safe for concurrent use.
type Function struct {
	work  apigwtest.Latency
	execs []atomic.Int32
	fates *fates

	mu   sync.Mutex
	keys map[string]*keyRecord
}

type keyRecord struct {
	done bool
	resp events.APIGatewayProxyResponse
}

// NewFunction returns the function for n logical requests; work (nil: none)
// is drawn per execution and slept (in emulated time) after the key check,
// before the side effect. The k-th execution of a logical request draws
// from a source that depends on seed, the request and k only, so every
// policy meets the same work.
func NewFunction(n int, work apigwtest.Latency, seed int64) *Function {
	return &Function{
		work:  work,
		execs: make([]atomic.Int32, n),
		fates: newFates(seed),
		keys:  map[string]*keyRecord{},
	}
}

// Executions returns how many times the side effect ran for logical
// request i.
func (f *Function) Executions(i int) int { return int(f.execs[i].Load()) }

// Handle is the apigwtest.Handler.
func (f *Function) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	id, err := strconv.Atoi(header(&ev, HeaderRequest))
	if err != nil || id < 0 || id >= len(f.execs) {
		return events.APIGatewayProxyResponse{StatusCode: 400, Body: `{"message":"missing X-Bench-Request"}`}, nil
	}
	key := header(&ev, headerIdempotencyKey)
	if key != "" {
		f.mu.Lock()
		rec := f.keys[key]
		switch {
		case rec == nil:
			f.keys[key] = &keyRecord{}
		case rec.done:
			f.mu.Unlock()
			return rec.resp, nil
		default:
			f.mu.Unlock()
			return events.APIGatewayProxyResponse{StatusCode: 409,
				Body: `{"message":"a request with this Idempotency-Key is in progress"}`}, nil
		}
		f.mu.Unlock()
	}
	if f.work != nil {
		d := f.work.Draw(f.fates.next(header(&ev, HeaderRequest)), 0)
		if err := apigwtest.Sleep(ctx, d); err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
	}
	f.execs[id].Add(1) // the side effect: an order is placed
	resp := events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"order":` + strconv.Itoa(id) + `}`}
	if key != "" {
		f.mu.Lock()
		f.keys[key] = &keyRecord{done: true, resp: resp}
		f.mu.Unlock()
	}
	return resp, nil
}

// header returns the event's value of the named header whatever the case
// of its name, as a function behind API Gateway must read it: a REST API's
// event keeps the client's spelling, an HTTP API's lowercases it.
func header(ev *events.APIGatewayProxyRequest, name string) string {
	if v, ok := ev.Headers[name]; ok {
		return v
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
