package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/policy"
)

// probeHop is one request of a logical request: the first, or one that
// follows a redirect.
type probeHop struct {
	method  string
	url     *url.URL // without userinfo
	body    []byte
	hasBody bool
}

// probeRedirect is a redirect probe followed.
type probeRedirect struct {
	status int
	url    *url.URL
}

// withoutUserinfo returns a copy of u without its userinfo: probe sends it
// as an Authorization header instead.
func withoutUserinfo(u *url.URL) *url.URL {
	c := *u
	c.User = nil
	return &c
}

// sameOrigin reports whether a and b have the same scheme, host and port,
// the test curl applies before it sends credentials to a redirect's target.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// newRequest builds the request of one hop: the -H headers (credentials
// only to the URL's own origin), Basic authorization from the URL's
// userinfo unless -H gave an Authorization, and the X-Ray header.
func (cfg *probeConfig) newRequest(ctx context.Context, hop probeHop, trace string) (*http.Request, error) {
	var body io.Reader
	if hop.hasBody {
		body = bytes.NewReader(hop.body)
	}
	req, err := http.NewRequestWithContext(ctx, hop.method, hop.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("building the request for %s: %s", redact.URL(hop.url), redact.Text(err.Error(), hop.url))
	}
	trusted := sameOrigin(hop.url, cfg.url)
	for _, kv := range cfg.header.fields {
		name := http.CanonicalHeaderKey(kv.name)
		switch {
		case !trusted && (redact.SensitiveHeader(name) || name == "Host"):
			continue
		case name == "Host":
			req.Host = kv.value
			continue
		case !hop.hasBody && (name == "Content-Type" || name == "Content-Length"):
			continue // a POST turned GET by a redirect sends no body
		}
		req.Header.Add(kv.name, kv.value)
	}
	if cfg.hasBasic && trusted && cfg.header.get("Authorization") == "" {
		req.SetBasicAuth(cfg.basicUser, cfg.basicPassword)
	}
	if trace != "" {
		req.Header.Set(policy.HeaderTraceID, trace)
	}
	return req, nil
}

// redirect decides, for an answer to hop, whether -L follows it and where
// to; err is set when it should but cannot (too many redirects, a Location
// that is not an http or https URL).
func (cfg *probeConfig) redirect(hop probeHop, resp *http.Response, followed int) (next probeHop, follow bool, err error) {
	if !cfg.follow {
		return hop, false, nil
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return hop, false, nil
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return hop, false, nil // nothing to follow: the answer stands, as with curl
	}
	if followed >= cfg.maxRedirs {
		return hop, false, fmt.Errorf("stopped after %d redirect(s) (-max-redirs %d)", followed, cfg.maxRedirs)
	}
	target, perr := hop.url.Parse(loc)
	if perr != nil {
		return hop, false, fmt.Errorf("%d redirect to a Location that does not parse", resp.StatusCode)
	}
	if target.Scheme != "http" && target.Scheme != "https" || target.Hostname() == "" {
		return hop, false, fmt.Errorf("%d redirect to %s: not an http or https URL", resp.StatusCode, redact.URL(target))
	}
	next = probeHop{method: hop.method, url: withoutUserinfo(target), body: hop.body, hasBody: hop.hasBody}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound:
		// curl -L turns a POST into a GET here, as browsers do.
		if hop.method == http.MethodPost {
			next.method, next.body, next.hasBody = http.MethodGet, nil, false
		}
	case http.StatusSeeOther:
		if hop.method != http.MethodHead {
			next.method = http.MethodGet
		}
		next.body, next.hasBody = nil, false
	}
	return next, true, nil
}
