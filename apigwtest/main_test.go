package apigwtest

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/goleak"
)

// testMain closes the default client's idle connections before goleak looks.
type testMain struct{ m *testing.M }

func (t testMain) Run() int {
	code := t.m.Run()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	cleanupRuntimeBuild()
	return code
}

func TestMain(m *testing.M) {
	if os.Getenv("APIGWTEST_NO_GOLEAK") != "" {
		os.Exit(testMain{m}.Run())
	}
	goleak.VerifyTestMain(testMain{m})
}

// answer is a response read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

func do(t testing.TB, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func get(t testing.TB, url string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// ok is a handler that answers 200 {"ok":true} at once.
func ok(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
}

// fastScale makes 29 s last 1.45 s: ample for a quick handler on a loaded
// machine, short enough for a test.
var fastScale = WithTimeScale(0.05)

// eventually polls cond until it holds or a generous bound passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never happened: %s", what)
}
