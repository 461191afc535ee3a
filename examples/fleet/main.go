// Command fleet shows a fleet of client processes backing off together. It
// starts an API Gateway + Lambda emulator (apigwtest, time scale 0.001: the
// 29 s integration timeout lasts 29 ms), then re-executes itself as client
// processes, each with its own retryscope transport and its own
// redisfleet.Fleet on one Redis. The clients send at different rates. After
// a second the function stops answering in time (every request gets API
// Gateway's 504 "Endpoint request timed out"); the first client whose
// breaker opens tells the others through Redis, and all of them stop
// sending. The backend comes back later and they resume. The parent prints,
// per 100 ms, how many requests the gateway received from each client, and
// then how soon each one stopped.
//
// It needs Redis (Debian's redis-server on a loopback port):
//
//	scripts/redis.sh start        # 127.0.0.1:6390
//	go run ./examples/fleet
//	go run ./examples/fleet -no-fleet   # the same without sharing: compare
//
// The breakers here stay open 1 s (transport's default is 10 s) so the
// example shows a few open windows; when one ends, the clients probe again
// and, if the backend is still down, stop again.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/redis/go-redis/v9"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/redisfleet"
	"github.com/retryscope/retryscope/transport"
)

const tick = 100 * time.Millisecond

func main() {
	var (
		child    = flag.String("child", "", "internal: run as the client with this name")
		url      = flag.String("url", "", "internal: the gateway's URL")
		pause    = flag.Duration("pause", 0, "internal: the client's pause between requests")
		workers  = flag.Int("workers", 1, "internal: the client's concurrent senders")
		prefix   = flag.String("prefix", "", "internal: the fleet's key prefix")
		redisAt  = flag.String("redis", defaultRedis(), "Redis address (env RETRYSCOPE_REDIS_ADDR)")
		noFleet  = flag.Bool("no-fleet", false, "clients decide alone, sharing nothing (for comparison)")
		downAt   = flag.Duration("down", time.Second, "when the backend goes down")
		upAt     = flag.Duration("up", 3500*time.Millisecond, "when it comes back")
		runFor   = flag.Duration("for", 5500*time.Millisecond, "how long the example runs")
		openTime = flag.Duration("open", time.Second, "how long a breaker stays open")
	)
	flag.Parse()
	log.SetFlags(0)
	redis.SetLogger(quiet{}) // the Fleet's own errors are counted (WithErrorHandler)
	if *child != "" {
		runClient(*child, *url, *redisAt, *prefix, *pause, *workers, *openTime, *noFleet)
		return
	}
	if !*noFleet {
		checkRedis(*redisAt)
	}
	runParent(*redisAt, *noFleet, *downAt, *upAt, *runFor, *openTime)
}

// quiet drops go-redis's log lines.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func defaultRedis() string {
	if a := os.Getenv("RETRYSCOPE_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6390"
}

func checkRedis(addr string) {
	c := redisfleet.NewClient(addr)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		log.Fatalf("cannot reach Redis at %s: %v\nstart one with:  scripts/redis.sh start   (127.0.0.1:6390)\nor point at yours with -redis host:port or RETRYSCOPE_REDIS_ADDR", addr, err)
	}
}

// client is one client process: its name and how hard it sends.
type client struct {
	name    string
	workers int
	pause   time.Duration
}

var clients = []client{
	{"c1", 4, 5 * time.Millisecond},   // busy
	{"c2", 1, 50 * time.Millisecond},  // steady
	{"c3", 1, 300 * time.Millisecond}, // sparse: alone, it learns slowly
}

// gateway counts, per client, the requests the emulated API Gateway
// received: the ground truth of who sent what.
type gateway struct {
	start time.Time
	down  atomic.Bool

	mu       sync.Mutex
	arrivals map[string][]time.Duration // since start
}

func (g *gateway) fault(m apigwtest.Moment) apigwtest.Fault {
	g.mu.Lock()
	name := m.Header.Get("X-Client")
	g.arrivals[name] = append(g.arrivals[name], time.Since(g.start))
	g.mu.Unlock()
	if g.down.Load() {
		return apigwtest.Fault{Outage: apigwtest.OutageTimeout}
	}
	return apigwtest.Fault{}
}

// count returns how many requests name sent in [from, to).
func (g *gateway) count(name string, from, to time.Duration) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, a := range g.arrivals[name] {
		if a >= from && a < to {
			n++
		}
	}
	return n
}

// stoppedAfter returns how long after from the client sent its last request
// before a quiet spell of at least quiet (or before until), and whether it
// stopped at all.
func (g *gateway) stoppedAfter(name string, from, until, quiet time.Duration) (time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var in []time.Duration
	for _, a := range g.arrivals[name] {
		if a >= from && a < until {
			in = append(in, a)
		}
	}
	last := from
	for _, a := range in {
		if a-last >= quiet {
			break
		}
		last = a
	}
	if until-last < quiet {
		return 0, false
	}
	return last - from, true
}

func runParent(redisAddr string, noFleet bool, downAt, upAt, runFor, openTime time.Duration) {
	g := &gateway{arrivals: map[string][]time.Duration{}}
	srv := apigwtest.NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
	}, apigwtest.WithTimeScale(0.001), apigwtest.WithFaultFunc(g.fault))
	defer srv.Close()

	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	prefix := fmt.Sprintf("retryscope-example:%d:", os.Getpid())
	var (
		procs   []*exec.Cmd
		stdins  []io.Closer
		ready   = make(chan string, len(clients))
		reports = make(chan string, len(clients))
	)
	for _, c := range clients {
		args := []string{"-child", c.name, "-url", srv.URL + "/orders", "-redis", redisAddr, "-prefix", prefix,
			"-pause", c.pause.String(), "-workers", fmt.Sprint(c.workers), "-open", openTime.String()}
		if noFleet {
			args = append(args, "-no-fleet")
		}
		cmd := exec.Command(self, args...)
		cmd.Stderr = os.Stderr
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			log.Fatal(err)
		}
		procs, stdins = append(procs, cmd), append(stdins, in)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if line := sc.Text(); line == "ready" {
					ready <- c.name
				} else {
					reports <- line
				}
			}
		}()
	}
	for range clients {
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			log.Fatal("the client processes did not start")
		}
	}

	mode := "sharing breaker state through Redis at " + redisAddr
	if noFleet {
		mode = "each deciding alone (-no-fleet)"
	}
	fmt.Printf("%d client processes, %s; backend down at %v, back at %v\n", len(clients), mode, downAt, upAt)
	fmt.Printf("requests the gateway received per %v:\n\n%-7s %-8s", tick, "time", "backend")
	for _, c := range clients {
		fmt.Printf(" %4s", c.name)
	}
	fmt.Println()

	g.mu.Lock()
	g.start = time.Now()
	g.arrivals = map[string][]time.Duration{}
	g.mu.Unlock()
	// Each row is one interval [at, at+tick): the backend's state changes
	// as it begins, its counts are printed when it ends.
	for at := time.Duration(0); at < runFor; at += tick {
		time.Sleep(time.Until(g.start.Add(at)))
		switch at {
		case downAt:
			g.down.Store(true)
		case upAt:
			g.down.Store(false)
		}
		state := "up"
		if at >= downAt && at < upAt {
			state = "DOWN"
		}
		time.Sleep(time.Until(g.start.Add(at + tick)))
		fmt.Printf("%-7s %-8s", at.String(), state)
		for _, c := range clients {
			fmt.Printf(" %4d", g.count(c.name, at, at+tick))
		}
		fmt.Println()
	}
	for _, in := range stdins {
		in.Close() // the clients stop at EOF
	}
	var lines []string
	for range clients {
		lines = append(lines, <-reports)
	}
	for _, p := range procs {
		p.Wait()
	}
	slices.Sort(lines)
	fmt.Println()
	for _, l := range lines {
		fmt.Println(l)
	}

	fmt.Println()
	var worst time.Duration
	all := true
	for _, c := range clients {
		d, ok := g.stoppedAfter(c.name, downAt, upAt, 600*time.Millisecond)
		switch {
		case !ok:
			all = false
			fmt.Printf("%s did not stop sending during the outage\n", c.name)
			continue
		case d == 0:
			fmt.Printf("%s sent nothing after the backend went down: stopped before its next request\n", c.name)
		default:
			fmt.Printf("%s stopped sending %v after the backend went down\n", c.name, d.Round(time.Millisecond))
		}
		worst = max(worst, d)
	}
	if all {
		fmt.Printf("all clients stopped within %v\n", worst.Round(time.Millisecond))
	}
	for _, c := range clients {
		if n := g.count(c.name, upAt, runFor); n > 0 {
			fmt.Printf("%s sent %d requests after the backend came back\n", c.name, n)
		}
	}
}

// runClient is a client process: it sends until its stdin closes, then
// prints one line of totals.
func runClient(name, url, redisAddr, prefix string, pause time.Duration, workers int, openTime time.Duration, noFleet bool) {
	br := transport.DefaultBreaker()
	br.Timeout = openTime
	opts := []transport.Option{transport.WithBreaker(br)}
	var syncErrs atomic.Int64
	if !noFleet {
		rc := redisfleet.NewClient(redisAddr)
		defer rc.Close()
		f := redisfleet.New(rc, redisfleet.WithKeyPrefix(prefix),
			redisfleet.WithErrorHandler(func(error) { syncErrs.Add(1) }))
		defer f.Close()
		opts = append(opts, transport.WithFleet(f))
	}
	hc := &http.Client{Transport: transport.New(nil, opts...)}
	get := func() (int, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-Client", name)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if st, err := get(); st != 200 {
		log.Fatalf("%s: first request: %d %v", name, st, err)
	}
	fmt.Println("ready")

	stop := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stop) }()
	var ok, failed, refused atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				st, err := get()
				switch {
				case errors.Is(err, transport.ErrCircuitOpen):
					refused.Add(1)
				case st == 200:
					ok.Add(1)
				default:
					failed.Add(1)
				}
				time.Sleep(pause)
			}
		})
	}
	wg.Wait()
	fmt.Printf("%s (%d workers, pause %v): %d ok, %d failed (504 after retries), %d refused at once by the breaker, %d failed syncs with Redis\n",
		name, workers, pause, ok.Load(), failed.Load(), refused.Load(), syncErrs.Load())
}
