package apigwtest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/retryscope/retryscope/internal/xray"
)

// gatewayRequest is what API Gateway knows about a request on arrival.
type gatewayRequest struct {
	requestID  string
	extendedID string
	replacedID bool        // the client's x-amzn-RequestId was not a UUID
	trace      xray.Header // as passed to the integration, with a fresh Parent
	start      time.Time
	entry      AccessLogEntry
	rng        *rand.Rand // the request's own source (WithDrawKey), else nil
	// wire is the request's header names as the client wrote them (REST
	// APIs), nil when unknown.
	wire []wireName
	// timer, when not nil, is the integration timeout's, which the
	// gateway's own latency reuses once the integration has answered.
	timer *time.Timer
	// traceHeader is trace.String(), once made (traceString).
	traceHeader string
	src         drawSource // backs rng: allocated with the request
}

// drawSource is a request's own random source (keyedSource).
type drawSource struct {
	pcg rand.PCG
	rng rand.Rand
}

// traceString returns g.trace.String(), made once: the event, the
// invocation record and the call all carry it. g.trace must not change
// after the first call.
func (g *gatewayRequest) traceString() string {
	if g.traceHeader == "" {
		g.traceHeader = g.trace.String()
	}
	return g.traceHeader
}

func (s *Server) newGatewayRequest(r *http.Request, now time.Time) *gatewayRequest {
	g := &gatewayRequest{extendedID: newExtendedID(), start: now}
	if !s.cfg.httpAPI {
		g.wire = wireNames(r)
	}
	if k := s.cfg.drawKey; k != "" {
		g.rng = s.keyedSource(&g.src, r.Header.Get(k))
	}
	if s.cfg.httpAPI {
		// HTTP APIs generate their own id; it is also the extended id.
		g.requestID = g.extendedID
	} else if id := r.Header.Get(HeaderRequestID); id != "" && isUUID(id) {
		g.requestID = id // as sent: the client matches it byte for byte
	} else {
		g.requestID = newUUID()
		g.replacedID = id != ""
	}
	// API Gateway continues a client's Root, else starts a trace.
	if t, ok := xray.Parse(r.Header.Get(HeaderTrace)); ok {
		g.trace = t
	} else {
		g.trace = xray.Header{Root: newRoot(now), Sampled: "0"}
	}
	if g.trace.Sampled == "" {
		g.trace.Sampled = "0"
	}
	g.trace.Parent = newSegmentID()
	loggedID := g.requestID
	if g.replacedID {
		loggedID += "_REPLACED_INVALID_REQUEST_ID"
	}
	g.entry = AccessLogEntry{
		ErrorMessage: "-", ErrorResponseType: "-", ExtendedRequestID: g.extendedID,
		IntegrationError: "-", IntegrationIntegrationStatus: "-", IntegrationLatency: "-",
		IntegrationRequestID: "-", IntegrationStatus: "-", IntegrationLatencyAlias: "-",
		RequestID: loggedID, RequestTimeEpoch: requestTimeEpoch(now), ResponseLatency: "-", Status: "-",
	}
	return g
}

// route strips the stage prefix; ok is false outside the stage.
func (s *Server) route(r *http.Request) (path string, ok bool) {
	p := r.URL.Path
	if p == "" {
		p = "/"
	}
	if s.cfg.stage == "" {
		return p, true
	}
	prefix := "/" + s.cfg.stage
	if p == prefix {
		return "/", true
	}
	if rest, found := strings.CutPrefix(p, prefix+"/"); found {
		return "/" + rest, true
	}
	return "", false
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "apigwtest: server closed", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()
	bound := s.boundBody(w, r)
	now := time.Now()
	g := s.newGatewayRequest(r, now)

	s.mu.Lock()
	s.stats.Requests++
	allowed := s.bucket.allowAt(now)
	if !allowed {
		s.stats.Throttled++
	}
	overQuota := false
	if allowed && s.cfg.quota > 0 {
		key := r.Header.Get("X-Api-Key")
		overQuota = s.quotaUsed[key] >= s.cfg.quota
		if overQuota {
			s.stats.QuotaExceeded++
		} else {
			s.quotaUsed[key]++
		}
	}
	inFlight := s.runningBeforeLocked(now)
	s.mu.Unlock()

	if !allowed {
		s.gatewayAnswer(w, g, nil, answerThrottled)
		return
	}
	if overQuota {
		s.gatewayAnswer(w, g, nil, answerQuota)
		return
	}
	path, ok := s.route(r)
	if !ok {
		s.gatewayAnswer(w, g, nil, answerNoRoute)
		return
	}
	if r.ContentLength > MaxPayload {
		s.gatewayAnswer(w, g, nil, answerTooLarge)
		return
	}
	var body []byte
	var err error
	if r.Body != http.NoBody { // a request without a body: no read buffer
		body, err = io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	}
	if err == nil && bound != nil {
		// Lifted once the body is in: net/http's read that watches for
		// the client going away while the function runs would otherwise
		// end the request's context at the bound. After a failed read it
		// stays, for net/http's read of the rest as it closes the body.
		_ = bound.SetReadDeadline(time.Time{})
	}
	if err != nil {
		// The client went away or sent a malformed body (bad chunked
		// encoding): no answer. Returning would make net/http send "200 OK".
		abortAnswer()
	}
	if len(body) > MaxPayload {
		s.gatewayAnswer(w, g, nil, answerTooLarge)
		return
	}

	id := g.requestID
	if s.execLog != nil { // the arguments would be boxed even for no log
		s.execLog.exec(id, "Starting execution for request: %s", id)
		s.execLog.exec(id, "HTTP Method: %s, Resource Path: %s", r.Method, path)
	}
	fault := s.faultAt(Moment{Elapsed: time.Duration(float64(now.Sub(s.started)) / s.cfg.timeScale), InFlight: inFlight, Header: r.Header})
	s.execLog.exec(id, "Sending request to %s", lambdaURL)
	sent := time.Now()
	lambdaID := newUUID()

	if fault.Outage == OutageConfiguration {
		s.execLog.exec(id, "Execution failed due to configuration error: Invalid permissions on Lambda function")
		s.gatewayAnswer(w, g, nil, answerConfiguration)
		return
	}
	if eventSizeAtLeast(r, body, s.cfg.payloadV2) > maxInvokePayload {
		// Lambda refuses the Invoke (RequestTooLargeException, 413) before
		// any code runs; a refused Invoke is a 500. The log wording follows
		// the 429's and the message is Lambda's for this error [inferred].
		s.invokeRefused(w, g, lambdaID, sent, 413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation", answerConfiguration)
		return
	}
	var we *warmEnv
	var d draws
	var expired []environment
	if fault.Outage != OutageThrottle {
		we, d, expired, ok = s.acquire(sent, fault, g.rng)
	} else {
		ok = false
	}
	if len(expired) > 0 {
		// Ending processes takes real time that must not delay this
		// request; Close waits for it as for a handler.
		s.handlers.Add(1)
		go func() {
			defer s.handlers.Done()
			for _, e := range expired {
				e.close()
			}
		}()
	}
	if !ok {
		s.mu.Lock()
		s.stats.LambdaThrottled++
		s.mu.Unlock()
		s.invokeRefused(w, g, lambdaID, sent, 429, "Rate Exceeded.", answerLambdaThrottled)
		return
	}

	c := &call{lambdaID: lambdaID, trace: g.traceString()}
	if s.cfg.payloadV2 {
		ev := s.buildEventV2(r, path, body, g)
		c.eventV2 = &ev
	} else {
		ev := s.buildEvent(r, path, body, g)
		c.event = &ev
	}
	rec := &Invocation{
		RequestID: g.requestID, ExtendedRequestID: g.extendedID, LambdaRequestID: lambdaID,
		TraceID: g.traceString(), Method: r.Method, Path: path, Header: r.Header, // net/http gives each request its own map
		Start: sent, ColdStart: we == nil,
	}
	s.mu.Lock()
	s.invocations = append(s.invocations, rec)
	if n := s.cfg.history; n > 0 && len(s.invocations) >= 2*n {
		s.invocations = append([]*Invocation(nil), s.invocations[len(s.invocations)-n:]...)
	}
	s.stats.Invocations++
	if we == nil {
		s.stats.ColdStarts++
	}
	s.mu.Unlock()

	out := make(chan result, 1)
	go s.run(rec, we, c, d, out)

	// The clock started when the request was sent to Lambda: the time
	// taken since (the server's lock, building a large event) counts.
	deadline := sent.Add(s.scale(s.cfg.integrationTimeout))
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	g.timer = timer // finishRequest's wait reuses it
	var res result
	var got bool
	select {
	case res = <-out:
		got = true
	case <-timer.C:
		// A result that Lambda had before the deadline still wins.
		select {
		case res = <-out:
			got = true
		default:
		}
	case <-s.closing:
		abortAnswer()
	}
	if got && res.recorded != nil {
		select {
		case <-res.recorded:
		case <-s.closing:
			abortAnswer()
		}
	}
	if !got || res.at.After(deadline) {
		s.integrationTimeout(w, g, rec, time.Since(sent))
		return
	}
	s.setIntegrationLatency(g, res.at.Sub(sent))
	g.entry.IntegrationRequestID = lambdaID
	g.entry.IntegrationIntegrationStatus = "200"
	s.logEndpointResponse(g, lambdaID, res, res.at.Sub(sent))
	if res.ferr != nil {
		if s.execLog != nil {
			s.execLog.exec(id, "Lambda execution failed with status 200 due to customer function error: %s. Lambda request id: %s", res.ferr.Message, lambdaID)
		}
		g.entry.IntegrationError = "Lambda Customer Function Error:" + res.ferr.Message
		s.gatewayAnswer(w, g, rec, answerFunctionError)
		return
	}
	var resp proxyResponse
	if s.cfg.payloadV2 {
		resp, err = mapHTTPAPIResponse(res.payload)
	} else {
		resp, err = mapProxyResponse(res.payload)
	}
	if err != nil {
		s.execLog.exec(id, "Execution failed due to configuration error: Malformed Lambda proxy response")
		s.gatewayAnswer(w, g, rec, answerMalformed)
		return
	}
	g.entry.IntegrationStatus = strconv.Itoa(resp.status)
	s.execLog.exec(id, "Successfully completed execution")
	s.functionAnswer(w, g, rec, resp)
}

// logEndpointResponse writes what API Gateway logs when Lambda's Invoke call
// returns (today's wording): the status and latency, Lambda's response
// headers (its x-amzn-RequestId is the Lambda request id), and the payload.
// A function error is still Invoke status 200, with X-Amz-Function-Error.
func (s *Server) logEndpointResponse(g *gatewayRequest, lambdaID string, res result, latency time.Duration) {
	if s.execLog == nil {
		return
	}
	id := g.requestID
	payload := res.payload
	functionError := ""
	if res.ferr != nil {
		payload, _ = json.Marshal(res.ferr)
		functionError = "X-Amz-Function-Error=Unhandled, "
	}
	s.execLog.exec(id, "Received response. Status: 200, Integration latency: %s ms", s.millisString(latency))
	s.execLog.exec(id, "Endpoint response headers: {Date=%s, Content-Type=application/json, Content-Length=%d, Connection=keep-alive, "+
		"x-amzn-RequestId=%s, %sx-amzn-Remapped-Content-Length=0, X-Amz-Executed-Version=$LATEST, X-Amzn-Trace-Id=root=%s;sampled=%s}",
		time.Now().UTC().Format(http.TimeFormat), len(payload), lambdaID, functionError, g.trace.Root, g.trace.Sampled)
	// exec cuts the event at 1024 bytes; a longer payload is not copied
	// whole first.
	body := payload
	if len(body) > maxLogEvent {
		body = body[:maxLogEvent]
	}
	s.execLog.exec(id, "Endpoint response body before transformations: %s", body)
}

// invokeRefused answers a request whose Invoke Lambda refused with status
// and message before any code ran (429: throttled; 413: the payload is too
// large), as the gateway logs and answers it: a 500 without the function.
// A throttle's execution log adds the configuration-error line published
// captures show, and published access logs give that line as the
// integration error; a 413's follows the 429's wording [inferred] and
// gives Lambda's message.
func (s *Server) invokeRefused(w http.ResponseWriter, g *gatewayRequest, lambdaID string, sent time.Time, status int, message string, a answerKind) {
	g.entry.IntegrationError = message
	if status == http.StatusTooManyRequests {
		g.entry.IntegrationError = "Execution failed due to configuration error: " + message
	}
	if s.execLog != nil { // the arguments would be boxed even for no log
		s.execLog.exec(g.requestID, "Lambda invocation failed with status: %d. Lambda request id: %s", status, lambdaID)
		if status == http.StatusTooManyRequests {
			s.execLog.exec(g.requestID, "%s", g.entry.IntegrationError)
		}
	}
	g.entry.IntegrationRequestID = lambdaID
	g.entry.IntegrationIntegrationStatus = strconv.Itoa(status)
	s.setIntegrationLatency(g, time.Since(sent))
	s.gatewayAnswer(w, g, nil, a)
}

// maxInvokePayload is Lambda's limit on a synchronous invocation's request
// payload, 6 MB ("For synchronous invocations, the maximum payload size is 6
// MB", https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
const maxInvokePayload = 6 << 20

// eventSizeAtLeast is a lower bound on the size of the proxy event's JSON
// for r and body, without building it: the body (base64 when not UTF-8),
// the query twice (1.0: two maps; 2.0: rawQueryString and a map) and
// every header name and value twice in payload format 1.0 (headers and
// multiValueHeaders), once in 2.0 (headers, or cookies).
func eventSizeAtLeast(r *http.Request, body []byte, v2 bool) int {
	n := len(body)
	if n > 0 && !utf8.Valid(body) {
		n = base64.StdEncoding.EncodedLen(n)
	}
	copies := 2
	if v2 {
		copies = 1
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += copies * (len(k) + len(v))
		}
	}
	return n + 2*len(r.URL.RawQuery)
}

// abortAnswer ends a request without an answer: the connection drops. A
// handler that just returned would have net/http send "200 OK" with an
// empty body, which a client takes for the function's success.
func abortAnswer() {
	panic(http.ErrAbortHandler)
}

func (s *Server) setIntegrationLatency(g *gatewayRequest, d time.Duration) {
	ms := s.millisString(d)
	g.entry.IntegrationLatency, g.entry.IntegrationLatencyAlias = ms, ms
}

// integrationTimeout answers the client while the function runs on.
func (s *Server) integrationTimeout(w http.ResponseWriter, g *gatewayRequest, rec *Invocation, waited time.Duration) {
	s.mu.Lock()
	rec.GatewayTimedOut = true
	if !rec.End.IsZero() && rec.Finished && !rec.RanAfterTimeout {
		// It finished, but after the deadline.
		rec.RanAfterTimeout = true
		s.stats.RanAfterTimeout++
	}
	s.stats.GatewayTimeouts++
	s.mu.Unlock()
	s.execLog.exec(g.requestID, "Execution failed due to a timeout error")
	s.setIntegrationLatency(g, waited)
	s.gatewayAnswer(w, g, rec, answerTimeout)
}

// gatewayAnswer sends one of API Gateway's own responses.
func (s *Server) gatewayAnswer(w http.ResponseWriter, g *gatewayRequest, rec *Invocation, k answerKind) {
	a := s.answer(k)
	h := w.Header()
	// An HTTP API's 503 comes without a Content-Type (nil keeps net/http
	// from sniffing one).
	if s.cfg.httpAPI && k == answerTimeout {
		h["Content-Type"] = nil
	} else {
		h["Content-Type"] = []string{"application/json"}
	}
	trace := traceRoot // 5xx and 429
	if a.status < 500 && a.status != http.StatusTooManyRequests {
		trace = traceNone // 403, 404, 413
	}
	s.idHeaders(h, g, trace)
	if a.errorType != "" {
		setExact(h, HeaderErrorType, a.errorType)
	}
	g.entry.ErrorMessage = a.message
	g.entry.ErrorResponseType = a.responseType
	executed := k != answerThrottled && k != answerQuota && k != answerNoRoute && k != answerTooLarge
	s.finishRequest(w, g, rec, a.status, []byte(a.body), executed)
}

// functionAnswer sends the function's own response.
func (s *Server) functionAnswer(w http.ResponseWriter, g *gatewayRequest, rec *Invocation, p proxyResponse) {
	h := w.Header()
	for k, vs := range p.header {
		if !s.cfg.httpAPI {
			if to, listed := restResponseHeaders[k]; listed {
				if to != "" {
					h[to] = vs
				}
				continue
			}
		}
		h[k] = vs
	}
	if h.Get("Content-Type") == "" {
		h["Content-Type"] = []string{"application/json"}
	}
	delete(h, "Content-Length")
	delete(h, "Transfer-Encoding")
	delete(h, "Connection")
	s.idHeaders(h, g, traceFull)
	s.finishRequest(w, g, rec, p.status, p.body, true)
}

// restResponseHeaders is what a REST API does with the headers of a Lambda
// proxy response that its documentation lists (keys canonical, as
// mapProxyResponse leaves them): "" drops the header, any other value is
// the name it is remapped to ("Remapped" and "Remapped Overwritten" in the
// response column of the table in "Amazon API Gateway important notes for
// REST APIs",
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html).
// Content-Length is passed through there; the emulator writes its own.
var restResponseHeaders = map[string]string{
	"Authorization":      "x-amzn-Remapped-Authorization",
	"Connection":         "x-amzn-Remapped-Connection",
	"Content-Md5":        "x-amzn-Remapped-Content-MD5",
	"Date":               "x-amzn-Remapped-Date",
	"Max-Forwards":       "x-amzn-Remapped-Max-Forwards",
	"Server":             "x-amzn-Remapped-Server",
	"User-Agent":         "x-amzn-Remapped-User-Agent",
	"Www-Authenticate":   "x-amzn-Remapped-WWW-Authenticate",
	"Expect":             "",
	"Host":               "",
	"Proxy-Authenticate": "",
	"Te":                 "",
	"Trailer":            "",
	"Transfer-Encoding":  "",
	"Upgrade":            "",
	"Via":                "",
}

// The response headers API Gateway sets, spelled as it writes them over
// HTTP/1.1 (HTTP/2 lowercases every name). net/http would canonicalise them
// (X-Amzn-Requestid), so they are set as map keys directly. A Go client
// canonicalises them again on reading, so Header.Get works as usual.
const (
	// HeaderRequestID is API Gateway's request id (REST APIs).
	HeaderRequestID = "x-amzn-RequestId"
	// HeaderExtendedRequestID is the extended request id (REST APIs).
	HeaderExtendedRequestID = "x-amz-apigw-id"
	// HeaderErrorType names the error of an answer API Gateway produced.
	HeaderErrorType = "x-amzn-ErrorType"
	// HeaderTrace is the X-Ray trace header.
	HeaderTrace = "X-Amzn-Trace-Id"
	// HeaderHTTPAPIRequestID is an HTTP API's request id.
	HeaderHTTPAPIRequestID = "Apigw-Requestid"
)

// setExact sets one header under exactly this name, removing any other
// spelling of it (a function may have set "X-Amzn-Requestid").
func setExact(h http.Header, name, value string) {
	for k := range h {
		if k != name && strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
	h[name] = []string{value}
}

// traceMode is which X-Amzn-Trace-Id an answer carries.
type traceMode int

const (
	traceFull traceMode = iota // the function's answer: Root and Sampled
	traceRoot                  // API Gateway's 5xx and 429: Root only
	traceNone                  // API Gateway's 4xx other than 429: none
)

// idHeaders sets the request id and trace headers. It does what setExact
// on each name would, in one pass over h.
func (s *Server) idHeaders(h http.Header, g *gatewayRequest, trace traceMode) {
	if s.cfg.httpAPI {
		setExact(h, HeaderHTTPAPIRequestID, g.requestID)
		h["Connection"] = []string{"keep-alive"}
		return
	}
	for k := range h {
		switch len(k) {
		case len(HeaderRequestID), len(HeaderExtendedRequestID):
			if k != HeaderRequestID && strings.EqualFold(k, HeaderRequestID) ||
				k != HeaderExtendedRequestID && strings.EqualFold(k, HeaderExtendedRequestID) {
				delete(h, k)
			}
		case len(HeaderTrace):
			if (trace == traceNone || k != HeaderTrace) && strings.EqualFold(k, HeaderTrace) {
				delete(h, k)
			}
		}
	}
	// One array holds the values (each capped, so an append copies).
	vs := [4]string{g.requestID, g.extendedID, "keep-alive"}
	switch trace {
	case traceFull:
		vs[3] = "Root=" + g.trace.Root + ";Sampled=" + g.trace.Sampled
	case traceRoot:
		vs[3] = "Root=" + g.trace.Root
	}
	all := vs[:]
	if trace == traceNone {
		all = vs[:3]
	}
	all = slices.Clone(all)
	h[HeaderRequestID] = all[0:1:1]
	h[HeaderExtendedRequestID] = all[1:2:2]
	h["Connection"] = all[2:3:3]
	if trace != traceNone {
		h[HeaderTrace] = all[3:4:4]
	}
}

// drawGatewayLatency draws under the lock, which a panicking Latency must
// not keep.
func (s *Server) drawGatewayLatency(l Latency, rng *rand.Rand) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rng == nil {
		rng = s.rng
	}
	return l.Draw(rng, s.runningBeforeLocked(time.Now()))
}

// keyedSource returns the source for the next request whose draw key is
// key (WithDrawKey): the n-th request with one key always gets the same.
// It lives in src, the request's own.
func (s *Server) keyedSource(src *drawSource, key string) *rand.Rand {
	s.mu.Lock()
	n := s.keyed[key]
	s.keyed[key]++
	s.mu.Unlock()
	// The salt keeps these streams apart from any a caller derives from
	// the same seed and key for its own draws.
	src.pcg.Seed(uint64(s.cfg.seed)^fnv64a(saltHash, key), n)
	src.rng = *rand.New(&src.pcg)
	return &src.rng
}

// drawSalt is hashed before a draw key (keyedSource).
const drawSalt = "apigwtest draws\x00"

// saltHash is the hash of drawSalt, where a key's hash starts.
var saltHash = fnv64a(fnvOffset64, drawSalt)

// FNV-1a, 64 bits, as hash/fnv's New64a computes it, without its
// allocation on every request.
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

func fnv64a(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

// finishRequest records and logs the answer, then sends it: the counters
// and logs are complete when the client reads it.
func (s *Server) finishRequest(w http.ResponseWriter, g *gatewayRequest, rec *Invocation, status int, body []byte, executed bool) {
	if l := s.cfg.gatewayLatency; l != nil {
		d := s.scale(s.drawGatewayLatency(l, g.rng))
		t := g.timer
		if t == nil {
			t = time.NewTimer(d)
		} else {
			t.Reset(d) // a stopped or fired timer: nothing stale in t.C
		}
		select {
		case <-t.C:
		case <-s.closing:
		}
		t.Stop()
	}
	if executed && s.execLog != nil {
		s.execLog.exec(g.requestID, "Method completed with status: %d", status)
	}
	g.entry.Status = strconv.Itoa(status)
	g.entry.ResponseLatency = s.millisString(time.Since(g.start))
	s.mu.Lock()
	s.stats.Answers[status]++
	if rec != nil {
		rec.Status = status
	}
	s.mu.Unlock()
	s.accessLog.access(&g.entry)
	w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// boundBody bounds, from now, the wait for r's body (see
// bodyReadTimeout): the gateway's read of it, and the read net/http makes
// of a body left unread when the gateway answers without it (a throttle,
// an unknown route) before it writes that answer. It returns the means to
// lift the bound once the body is in, nil when r has no body or its
// connection has no read deadlines (some in-memory ones).
func (s *Server) boundBody(w http.ResponseWriter, r *http.Request) *http.ResponseController {
	if r.Body == http.NoBody {
		return nil
	}
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(s.cfg.bodyReadTimeout)) != nil {
		return nil
	}
	return rc
}
