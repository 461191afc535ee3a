package diagnose

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The API Gateway console offers four access-log formats to start from
// (docs/aws-behaviour.md, "Access logs"): JSON (read by parseAccessRecord),
// and three text ones read here: CLF, CSV and XML. Each logs the request
// id, the time and the status but no integration field, so such a record
// says the gateway answered and when; whether Lambda ran comes from the
// execution or Lambda logs joined on the id.

var (
	errTextAccessStatus    = errors.New("access-log record with no status")
	errTextAccessRequestID = errors.New("access-log record with no request id")
)

// parseCLFAccess reads a Common Log Format access line:
//
//	<ip> <caller> <user> [<requestTime>] "<method> <path> <protocol>" <status> <length> <requestId> [<extendedRequestId>]
//
// ok is false when the line does not have that shape (it is another kind
// of text); err is set when it has the shape but lacks a status or id.
func parseCLFAccess(line []byte) (r accessRecord, ok bool, err error) {
	open := bytes.IndexByte(line, '[')
	if open < 1 || line[open-1] != ' ' || bytes.IndexByte(line, '\t') >= 0 {
		return r, false, nil
	}
	// ip, caller and user: three words, "-" where absent.
	if len(bytes.Fields(line[:open])) != 3 {
		return r, false, nil
	}
	end := bytes.IndexByte(line[open:], ']')
	if end < 0 {
		return r, false, nil
	}
	end += open
	t, isTime := parseCLFTime(string(line[open+1 : end]))
	rest := line[end+1:]
	if !isTime || !bytes.HasPrefix(rest, []byte(` "`)) {
		return r, false, nil
	}
	request := rest[2:]
	q := bytes.IndexByte(request, '"')
	if q < 0 {
		return r, false, nil
	}
	if !isHTTPRequestLine(string(request[:q])) {
		return r, false, nil
	}
	fields := strings.Fields(string(request[q+1:]))
	r.RequestTime, r.Layout = t, layoutCLF
	return r, true, fillTextAccess(&r, fields)
}

// parseCSVAccess reads a CSV access line, as the console's CSV preset for
// REST APIs (ip, caller, user, requestTime, method, resourcePath,
// protocol, status, responseLength, requestId, extendedRequestId) and for
// HTTP APIs (ip, requestTime, method, routeKey, protocol, status,
// responseLength, requestId) write it: the fields after the protocol are
// status, length, request id and an optional extended id. ok is false
// when the line does not have that shape.
func parseCSVAccess(line []byte) (r accessRecord, ok bool, err error) {
	if bytes.Count(line, []byte(",")) < 5 || bytes.IndexByte(line, '\t') >= 0 {
		return r, false, nil
	}
	fields := strings.Split(string(line), ",")
	timeAt, protoAt := -1, -1
	for i, f := range fields {
		if timeAt < 0 {
			if t, isTime := parseCLFTime(f); isTime {
				timeAt, r.RequestTime = i, t
			}
			continue
		}
		if strings.HasPrefix(f, "HTTP/") && i > timeAt {
			protoAt = i
			break
		}
	}
	if timeAt < 0 || protoAt < 0 {
		return accessRecord{}, false, nil
	}
	r.Layout = layoutCSV
	return r, true, fillTextAccess(&r, fields[protoAt+1:])
}

// fillTextAccess reads status, length, request id and an optional
// extended id from the fields that follow the request in CLF and CSV.
func fillTextAccess(r *accessRecord, fields []string) error {
	if len(fields) == 0 {
		return errTextAccessStatus
	}
	status, err := strconv.Atoi(fields[0])
	if err != nil || status < 100 || status > 599 {
		return errTextAccessStatus
	}
	r.Status = status
	if len(fields) < 3 {
		return errTextAccessRequestID
	}
	r.RequestID = accessID(fields[2])
	if r.RequestID == "" {
		return errTextAccessRequestID
	}
	if len(fields) > 3 {
		r.ExtendedRequestID = accessID(fields[3])
	}
	return nil
}

// xmlAccess is the console's XML preset (<request id="..."> with one
// element per variable), and the elements a longer format may add under
// the names the JSON formats use.
type xmlAccess struct {
	XMLName            xml.Name `xml:"request"`
	ID                 string   `xml:"id,attr"`
	RequestTime        string   `xml:"requestTime"`
	RequestTimeEpoch   string   `xml:"requestTimeEpoch"`
	Status             string   `xml:"status"`
	ExtendedRequestID  string   `xml:"extendedRequestId"`
	IntegrationLatency string   `xml:"integrationLatency"`
	ResponseLatency    string   `xml:"responseLatency"`
	ErrorMessage       string   `xml:"errorMessage"`
	ErrorResponseType  string   `xml:"errorResponseType"`
	XRayTraceID        string   `xml:"xrayTraceId"`
}

// isXMLAccess reports whether a line starts as the XML preset's record.
func isXMLAccess(line []byte) bool {
	return bytes.HasPrefix(line, []byte("<request ")) || bytes.HasPrefix(line, []byte("<request>"))
}

// parseXMLAccess reads one XML access record.
func parseXMLAccess(line []byte) (accessRecord, error) {
	var x xmlAccess
	if err := xml.Unmarshal(line, &x); err != nil {
		return accessRecord{}, err
	}
	r := accessRecord{
		RequestID:         accessID(x.ID),
		ExtendedRequestID: accessID(x.ExtendedRequestID),
		ErrorMessage:      accessID(x.ErrorMessage),
		ErrorResponseType: accessID(x.ErrorResponseType),
		XRayTraceID:       accessID(x.XRayTraceID),
		Layout:            layoutXML,
	}
	if r.RequestID == "" {
		return accessRecord{}, errTextAccessRequestID
	}
	status, err := strconv.Atoi(strings.TrimSpace(x.Status))
	if err != nil || status < 100 || status > 599 {
		return accessRecord{}, errTextAccessStatus
	}
	r.Status = status
	if v, err := strconv.ParseFloat(strings.TrimSpace(x.IntegrationLatency), 64); err == nil {
		r.IntegrationLatencyMS, r.HasIntegrationLatency, r.LogsIntegration = v, true, true
	}
	if v, err := strconv.ParseFloat(strings.TrimSpace(x.ResponseLatency), 64); err == nil {
		r.ResponseLatencyMS, r.HasResponseLatency = v, true
	}
	if t, ok := parseTime(x.RequestTimeEpoch); ok {
		r.RequestTime = t
	} else if t, ok := parseTime(x.RequestTime); ok {
		r.RequestTime = t
	}
	return r, nil
}

// accessID is a logged request id with "-" (absent) as "", and without
// the suffix the gateway logs after a client id that was not a UUID and
// was replaced (documented with the access-log variables): the client saw
// the bare UUID.
func accessID(s string) string {
	s = strings.TrimSpace(s)
	if s == "-" {
		return ""
	}
	return strings.TrimSuffix(s, "_REPLACED_INVALID_REQUEST_ID")
}

// parseCLFTime reads $context.requestTime ("03/Dec/2026:08:12:44 +0000").
func parseCLFTime(s string) (time.Time, bool) {
	if len(s) != len("02/Jan/2006:15:04:05 -0700") || s[2] != '/' || s[6] != '/' {
		return time.Time{}, false
	}
	return parseTime(s)
}

// isHTTPRequestLine reports whether s is "<METHOD> <path> <HTTP/x>".
func isHTTPRequestLine(s string) bool {
	method, rest, ok := strings.Cut(s, " ")
	if !ok || method == "" || strings.ToUpper(method) != method {
		return false
	}
	i := strings.LastIndexByte(rest, ' ')
	return i > 0 && strings.HasPrefix(rest[i+1:], "HTTP/")
}
