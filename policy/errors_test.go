package policy_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/retryscope/retryscope/policy"
)

// roundTrip sends one GET to rawURL through a fresh transport that ignores
// proxy settings and returns the transport's error, as the retrying
// transport would see it.
func roundTrip(t *testing.T, rawURL string, tlsConfig *tls.Config) error {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: tlsConfig}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET %s: got %s, want an error", rawURL, resp.Status)
	}
	return err
}

// closedPort returns the address of a loopback port nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// hangUp returns a server that reads the request and closes the
// connection without answering; with reset it sends an RST instead of a FIN.
func hangUp(t *testing.T, reset bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok && reset {
			tc.SetLinger(0)
		}
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv
}

func urlError(err error) error {
	return &url.Error{Op: "Post", URL: "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/orders", Err: err}
}

// TestClassifyErrors places transport errors, real ones where a loopback
// can produce them, by errors.Is and errors.As only.
func TestClassifyErrors(t *testing.T) {
	t.Parallel()

	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors are the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	plainSrv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plainSrv.Close)
	trusting := x509.NewCertPool()
	trusting.AddCert(tlsSrv.Certificate())

	notFound := &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}
	dnsTimeout := &net.DNSError{Err: "i/o timeout", Name: "api.example.com", Server: "10.0.0.2:53", IsTimeout: true, IsTemporary: true}
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	read := func(err error) error { return &net.OpError{Op: "read", Net: "tcp", Err: err} }

	tests := []struct {
		name      string
		err       func(t *testing.T) error
		reach     policy.Reach
		retryable bool
		cause     policy.Cause
	}{
		{"connection refused (real)", func(t *testing.T) error { return roundTrip(t, "http://"+closedPort(t), nil) },
			policy.ReachNotSent, true, "connection_refused"},
		{"connection refused (built)", func(*testing.T) error { return urlError(dial(os.NewSyscallError("connect", syscall.ECONNREFUSED))) },
			policy.ReachNotSent, true, "connection_refused"},
		{"dns not found", func(*testing.T) error { return urlError(dial(notFound)) },
			policy.ReachNotSent, false, "dns"},
		{"dns timeout", func(*testing.T) error { return urlError(dial(dnsTimeout)) },
			policy.ReachNotSent, true, "dns"},
		{"dial timeout", func(*testing.T) error { return urlError(dial(os.ErrDeadlineExceeded)) },
			policy.ReachNotSent, true, "connect"},
		{"dial context deadline", func(*testing.T) error { return urlError(dial(context.DeadlineExceeded)) },
			policy.ReachNotSent, true, "connect"},
		{"network unreachable", func(*testing.T) error { return urlError(dial(os.NewSyscallError("connect", syscall.ENETUNREACH))) },
			policy.ReachNotSent, true, "connect"},
		{"tls unknown authority (real)", func(t *testing.T) error { return roundTrip(t, tlsSrv.URL, nil) },
			policy.ReachNotSent, false, "tls_certificate"},
		{"tls wrong host name (real)", func(t *testing.T) error {
			return roundTrip(t, tlsSrv.URL, &tls.Config{RootCAs: trusting, ServerName: "wrong.example"})
		}, policy.ReachNotSent, false, "tls_certificate"},
		{"tls expired", func(*testing.T) error {
			return urlError(&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}})
		}, policy.ReachNotSent, false, "tls_certificate"},
		{"tls unwrapped invalid cert", func(*testing.T) error { return urlError(x509.CertificateInvalidError{Reason: x509.Expired}) },
			policy.ReachNotSent, false, "tls_certificate"},
		{"https to plain http (real)", func(t *testing.T) error {
			return roundTrip(t, strings.Replace(plainSrv.URL, "http:", "https:", 1), nil)
		}, policy.ReachNotSent, false, "tls_handshake"},
		{"https to plain http (http.Client)", func(*testing.T) error { return urlError(http.ErrSchemeMismatch) },
			policy.ReachNotSent, false, "tls_handshake"},
		{"attempt timeout", func(*testing.T) error { return urlError(context.DeadlineExceeded) },
			policy.ReachUnknown, true, "attempt_timeout"},
		{"attempt timeout with cause", func(*testing.T) error {
			return urlError(fmt.Errorf("attempt 2: %w", context.DeadlineExceeded))
		}, policy.ReachUnknown, true, "attempt_timeout"},
		{"canceled", func(*testing.T) error { return urlError(context.Canceled) },
			policy.ReachUnknown, false, "canceled"},
		{"eof", func(*testing.T) error { return urlError(io.EOF) },
			policy.ReachUnknown, true, "eof"},
		{"unexpected eof", func(*testing.T) error { return urlError(io.ErrUnexpectedEOF) },
			policy.ReachUnknown, true, "eof"},
		{"connection reset", func(*testing.T) error { return urlError(read(os.NewSyscallError("read", syscall.ECONNRESET))) },
			policy.ReachUnknown, true, "connection_reset"},
		{"broken pipe", func(*testing.T) error {
			return urlError(&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)})
		}, policy.ReachUnknown, true, "connection_reset"},
		{"read timeout", func(*testing.T) error { return urlError(read(os.ErrDeadlineExceeded)) },
			policy.ReachUnknown, true, "timeout"},
		{"other", func(*testing.T) error {
			return errors.New("net/http: HTTP/1.x transport connection broken: malformed HTTP response")
		},
			policy.ReachUnknown, true, "transport_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.err(t)
			checkClassify(t, policy.Default(), classifyCase{tc.name, policy.Exchange{Err: err, Now: now}, tc.reach, tc.retryable, tc.cause})
		})
	}
}

// TestClassifyHangUp: a server that reads the request and hangs up may have
// acted on it; whatever error the transport reports, the reach is unknown
// and the error is transient.
func TestClassifyHangUp(t *testing.T) {
	t.Parallel()
	for _, reset := range []bool{false, true} {
		t.Run(fmt.Sprintf("reset=%t", reset), func(t *testing.T) {
			t.Parallel()
			err := roundTrip(t, hangUp(t, reset).URL, nil)
			o := policy.Default().Classify(policy.Exchange{Err: err, Now: now})
			t.Logf("%v: %s", err, o.Cause)
			if o.Reach != policy.ReachUnknown || !o.Retryable {
				t.Errorf("Classify(%v) = %s retryable=%t cause=%s, want unknown and retryable", err, o.Reach, o.Retryable, o.Cause)
			}
		})
	}
}

// TestClassifyErrorWins: when a broken base transport returns both, the
// error decides.
func TestClassifyErrorWins(t *testing.T) {
	t.Parallel()
	ex := answer(200, "ok")
	ex.Err = urlError(io.EOF)
	if o := policy.Default().Classify(ex); o.Cause != "eof" {
		t.Errorf("Cause = %q, want eof", o.Cause)
	}
}
