package otelwire_test

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/retryscope/retryscope/internal/otelwire"
)

func TestMetrics(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t, otelwire.Config{})
	simulate(t, rec.Instrumentation, steps())
	rec.BreakerTransition("api.example.com", "closed", "open")
	rec.BreakerTransition("api.example.com", "open", "half-open")
	got := rec.metrics(t)

	dur, ok := got["http.client.request.duration"]
	if !ok {
		t.Fatal("no http.client.request.duration")
	}
	if dur.Unit != "s" {
		t.Errorf("duration unit %q, want s", dur.Unit)
	}
	h := dur.Data.(metricdata.Histogram[float64])
	var n uint64
	statuses := map[string]uint64{}
	for _, dp := range h.DataPoints {
		n += dp.Count
		s, _ := dp.Attributes.Value("http.response.status_code")
		e, _ := dp.Attributes.Value("error.type")
		statuses[s.Emit()+"/"+e.Emit()] += dp.Count
		if m, _ := dp.Attributes.Value("http.request.method"); m.AsString() != "GET" {
			t.Errorf("duration method %v", m.Emit())
		}
		if a, _ := dp.Attributes.Value("server.address"); a.AsString() != "api.example.com" {
			t.Errorf("duration server.address %v", a.Emit())
		}
	}
	if n != 6 {
		t.Errorf("duration count %d, want 6 (one per attempt)", n)
	}
	for _, k := range []string{"504/504", "429/429", "200/", "/attempt_timeout", "/connection_refused", "/canceled"} {
		if statuses[k] != 1 {
			t.Errorf("duration points by status/error.type = %v, want one %q", statuses, k)
		}
	}

	wantSum(t, got, otelwire.MetricAttempts, map[string]int64{
		"backend_timeout/integration_timeout/true": 1,
		"unknown/attempt_timeout/true":             1,
		"unknown/throttled/true":                   1,
		"not_sent/connection_refused/true":         1,
		"backend/ok/false":                         1,
		"unknown/canceled/false":                   1,
	}, "retryscope.reach", "retryscope.cause", "retryscope.retry")
	wantSum(t, got, otelwire.MetricRetries, map[string]int64{
		"integration_timeout": 1, "attempt_timeout": 1, "throttled": 1, "connection_refused": 1,
	}, "retryscope.cause")
	wantSum(t, got, otelwire.MetricRefusals, map[string]int64{"budget": 1}, "retryscope.refusal")
	wantSum(t, got, otelwire.MetricBreakerTransitions, map[string]int64{
		"api.example.com/closed/open": 1, "api.example.com/open/half-open": 1,
	}, "server.address", "retryscope.breaker.from", "retryscope.breaker.to")

	// No ids, URLs or headers as metric attributes: the sets stay bounded.
	for name, m := range got {
		for _, set := range attributeSets(m) {
			for _, kv := range set.ToSlice() {
				switch kv.Key {
				case "aws.request_id", "aws.extended_request_id", "aws.xray.trace_id", "url.full", "retryscope.reason":
					t.Errorf("%s has the unbounded attribute %s", name, kv.Key)
				}
			}
		}
	}
}

// wantSum checks a counter's sums, keyed by the values of keys joined by "/".
func wantSum(t *testing.T, got map[string]metricdata.Metrics, name string, want map[string]int64, keys ...attribute.Key) {
	t.Helper()
	m, ok := got[name]
	if !ok {
		t.Errorf("no %s", name)
		return
	}
	sums := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		k := ""
		for i, key := range keys {
			v, _ := dp.Attributes.Value(key)
			if i > 0 {
				k += "/"
			}
			k += v.Emit()
		}
		sums[k] += dp.Value
		if dp.Attributes.Len() != len(keys) {
			t.Errorf("%s attributes %v, want only %v", name, dp.Attributes.ToSlice(), keys)
		}
	}
	if len(sums) != len(want) {
		t.Errorf("%s = %v, want %v", name, sums, want)
	}
	for k, w := range want {
		if sums[k] != w {
			t.Errorf("%s[%s] = %d, want %d (all: %v)", name, k, sums[k], w, sums)
		}
	}
}

func attributeSets(m metricdata.Metrics) []attribute.Set {
	var sets []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			sets = append(sets, dp.Attributes)
		}
	}
	return sets
}
