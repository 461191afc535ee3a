package diagnose

import (
	"testing"
	"time"
)

// The console's text presets (docs/aws-behaviour.md, "Access logs"), for
// REST and HTTP APIs, and lines of other kinds that look alike.
func TestTextAccessPresets(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 3, 8, 12, 44, 0, time.UTC)
	tests := []struct {
		name     string
		line     string
		wantKind lineKind
		wantErr  bool
		id, ext  string
		status   int
	}{
		{name: "CLF, REST preset",
			line:     `203.0.113.9 - - [03/Dec/2026:08:12:44 +0000] "POST /orders HTTP/1.1" 504 41 0c6a1f52-1d2e-4c6b-9a55-3d1e7f2b8a10 Gx7yTkPqoAMEabc=`,
			wantKind: kindAccess, id: "0c6a1f52-1d2e-4c6b-9a55-3d1e7f2b8a10", ext: "Gx7yTkPqoAMEabc=", status: 504},
		{name: "CLF, HTTP API preset (route key, no extended id)",
			line:     `203.0.113.9 - - [03/Dec/2026:08:12:44 +0000] "GET GET /items HTTP/1.1" 503 33 Gx7yTkPqoAMEabc=`,
			wantKind: kindAccess, id: "Gx7yTkPqoAMEabc=", status: 503},
		{name: "CLF with a caller and user",
			line:     `203.0.113.9 AIDAEXAMPLE alice [03/Dec/2026:08:12:44 +0000] "GET /items HTTP/1.1" 200 2 r-1 e-1`,
			wantKind: kindAccess, id: "r-1", ext: "e-1", status: 200},
		{name: "CLF, replaced client id",
			line:     `203.0.113.9 - - [03/Dec/2026:08:12:44 +0000] "GET /items HTTP/1.1" 200 2 5a6b7c8d-0000-4000-8000-000000000001_REPLACED_INVALID_REQUEST_ID -`,
			wantKind: kindAccess, id: "5a6b7c8d-0000-4000-8000-000000000001", status: 200},
		{name: "CLF without a request id is a damaged record",
			line:     `203.0.113.9 - - [03/Dec/2026:08:12:44 +0000] "GET /items HTTP/1.1" 200 2`,
			wantKind: kindAccess, wantErr: true},
		{name: "CLF with a bad status is a damaged record",
			line:     `203.0.113.9 - - [03/Dec/2026:08:12:44 +0000] "GET /items HTTP/1.1" OK 2 r-1`,
			wantKind: kindAccess, wantErr: true},
		{name: "CSV, REST preset",
			line:     `203.0.113.9,-,-,03/Dec/2026:08:12:44 +0000,POST,/orders,HTTP/1.1,504,41,0c6a1f52-1d2e-4c6b-9a55-3d1e7f2b8a10,Gx7yTkPqoAMEabc=`,
			wantKind: kindAccess, id: "0c6a1f52-1d2e-4c6b-9a55-3d1e7f2b8a10", ext: "Gx7yTkPqoAMEabc=", status: 504},
		{name: "CSV, HTTP API preset",
			line:     `203.0.113.9,03/Dec/2026:08:12:44 +0000,GET,GET /items,HTTP/1.1,503,33,Gx7yTkPqoAMEabc=`,
			wantKind: kindAccess, id: "Gx7yTkPqoAMEabc=", status: 503},
		{name: "XML, REST preset",
			line: `<request id="0c6a1f52-1d2e-4c6b-9a55-3d1e7f2b8a10"> <ip>203.0.113.9</ip> <caller>-</caller> <user>-</user> <requestTime>03/Dec/2026:08:12:44 +0000</requestTime> ` +
				`<httpMethod>POST</httpMethod> <resourcePath>/orders</resourcePath> <status>504</status> <protocol>HTTP/1.1</protocol> <responseLength>41</responseLength> </request>`,
			wantKind: kindAccess, id: "0c6a1f52-1d2e-4c6b-9a55-3d1e7f2b8a10", status: 504},
		{name: "XML cut short is a damaged record",
			line:     `<request id="r-1"> <status>504</status>`,
			wantKind: kindAccess, wantErr: true},
		{name: "XML without an id is a damaged record",
			line:     `<request> <requestTime>03/Dec/2026:08:12:44 +0000</requestTime> <status>504</status> </request>`,
			wantKind: kindAccess, wantErr: true},
		{name: "a Lambda application line quoting a CLF line stays the function's",
			line:     "2026-12-03T08:12:44.000Z\t0c6a1f52-1d2e-4c6b-9a55-3d1e7f2b8a10\tINFO\t203.0.113.9 - - [03/Dec/2026:08:12:44 +0000] \"GET / HTTP/1.1\" 200 2 r e",
			wantKind: kindPlatform},
		{name: "bracketed text that is not a request time",
			line:     `worker 7 ok [retry 2] "GET / HTTP/1.1" 200 2 r e`,
			wantKind: kindOtherText},
		{name: "a comma list without the time and protocol",
			line:     `a,b,c,d,e,f,g,h`,
			wantKind: kindOtherText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := classifyLine([]byte(tt.line))
			if p.kind != tt.wantKind || (err != nil) != tt.wantErr {
				t.Fatalf("kind %d, err %v; want kind %d, error %v", p.kind, err, tt.wantKind, tt.wantErr)
			}
			if tt.wantKind != kindAccess || tt.wantErr {
				return
			}
			a := p.access
			if a.RequestID != tt.id || a.ExtendedRequestID != tt.ext || a.Status != tt.status || !a.RequestTime.Equal(at) {
				t.Errorf("got id %q ext %q status %d time %v; want %q %q %d %v", a.RequestID, a.ExtendedRequestID, a.Status, a.RequestTime, tt.id, tt.ext, tt.status, at)
			}
			if a.calledIntegration() || a.LogsIntegration {
				t.Errorf("a preset logs no integration field, got %+v", a)
			}
		})
	}
}

func FuzzTextAccess(f *testing.F) {
	for _, s := range []string{
		`203.0.113.9 - - [03/Dec/2026:08:12:44 +0000] "POST /orders HTTP/1.1" 504 41 r e`,
		`203.0.113.9,-,-,03/Dec/2026:08:12:44 +0000,POST,/orders,HTTP/1.1,504,41,r,e`,
		`<request id="r"> <status>504</status> <requestTime>03/Dec/2026:08:12:44 +0000</requestTime> </request>`,
		`<request id="r"><integrationLatency>12</integrationLatency><status>200</status></request>`,
		`a b c [x] "y"`, `,,,,,,`, `<request`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(name string, r accessRecord, err error) {
			if err == nil && (r.RequestID == "" || r.Status < 100 || r.Status > 599) {
				t.Fatalf("%s(%q) = %+v", name, s, r)
			}
		}
		if r, ok, err := parseCLFAccess([]byte(s)); ok {
			check("clf", r, err)
		}
		if r, ok, err := parseCSVAccess([]byte(s)); ok {
			check("csv", r, err)
		}
		if isXMLAccess([]byte(s)) {
			r, err := parseXMLAccess([]byte(s))
			check("xml", r, err)
		}
	})
}
