package otelwire

import (
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// maxCachedSets bounds each optionCache. Metric attributes are bounded by
// design, so the cache fills with the few combinations a program meets;
// past the bound, options are built for each measurement.
const maxCachedSets = 1024

// measurement holds the options of one attribute combination, ready to pass
// to Add or Record without building a set each time.
type measurement struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

// optionCache maps a combination of attribute values to its measurement.
type optionCache[K comparable] struct {
	mu sync.RWMutex
	m  map[K]*measurement
}

func (c *optionCache[K]) get(k K, build func(K) []attribute.KeyValue) *measurement {
	c.mu.RLock()
	m, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return m
	}
	o := metric.WithAttributeSet(attribute.NewSet(build(k)...))
	m = &measurement{add: []metric.AddOption{o}, record: []metric.RecordOption{o}}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[K]*measurement)
	}
	if len(c.m) < maxCachedSets {
		c.m[k] = m
	}
	return m
}
