package diagnose

import (
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// accessRecord is one API Gateway access-log record: the $context
// variables a production format logs (requestId, integration.requestId,
// integration.latency, integration.status, integration.integrationStatus,
// error.responseType, xrayTraceId, ...). Absent ("-") values are "" or 0 /
// not ok.
type accessRecord struct {
	RequestID            string
	ExtendedRequestID    string
	Status               int
	IntegrationRequestID string
	// IntegrationStatus is the function's statusCode.
	IntegrationStatus int
	// LambdaStatus is $context.integration.integrationStatus: Lambda's own
	// status for the Invoke call (200 means the function ran).
	LambdaStatus          int
	IntegrationLatencyMS  float64
	HasIntegrationLatency bool
	IntegrationError      string
	ErrorMessage          string
	ErrorResponseType     string
	ResponseLatencyMS     float64
	HasResponseLatency    bool
	RequestTime           time.Time
	XRayTraceID           string
	// LogsIntegration is true when the record's format has integration
	// fields (integration_requestId, integration_latency, ...), so "-" in
	// all of them means no integration call rather than "not logged".
	LogsIntegration bool
	// Layout is how the record was written: JSON, or one of the console's
	// text presets (CLF, CSV, XML). It only shapes the advice diagnose
	// gives when the record cannot tell whether Lambda was called.
	Layout accessLayout
}

// accessLayout is the way an access-log record is written.
type accessLayout uint8

const (
	layoutJSON accessLayout = iota
	layoutCLF
	layoutCSV
	layoutXML
)

// missingIntegrationAdvice says what to add to an access-log format of
// this layout so that diagnose can tell whether the gateway called Lambda:
// the variables it reads, under the names it reads them by.
func (l accessLayout) missingIntegrationAdvice() string {
	switch l {
	case layoutXML:
		return "add <errorResponseType>$context.error.responseType</errorResponseType> and " +
			"<integrationLatency>$context.integration.latency</integrationLatency> to the access-log format, or add the execution log"
	case layoutCLF, layoutCSV:
		name := map[accessLayout]string{layoutCLF: "CLF", layoutCSV: "CSV"}[l]
		return "the console's " + name + " format has no integration field: log JSON with " +
			`"error_responseType": "$context.error.responseType" and "integration_latency": "$context.integration.latency", or add the execution log`
	default:
		return `add "error_responseType": "$context.error.responseType" and "integration_latency": "$context.integration.latency" to the access-log format, or add the execution log`
	}
}

// beforeIntegration holds the gateway response types API Gateway answers
// before it calls the integration: authentication, authorization, WAF,
// throttling, quotas, request validation and routing. A record with one of
// them says the function was not called even when its format logs no
// integration field. INTEGRATION_FAILURE, INTEGRATION_TIMEOUT,
// API_CONFIGURATION_ERROR and the DEFAULT_4XX/DEFAULT_5XX fallbacks are
// not here: they can follow a call (docs/aws-behaviour.md, "Gateway
// response types").
var beforeIntegration = map[string]bool{
	"ACCESS_DENIED":                  true,
	"AUTHORIZER_CONFIGURATION_ERROR": true,
	"AUTHORIZER_FAILURE":             true,
	"BAD_REQUEST_BODY":               true,
	"BAD_REQUEST_PARAMETERS":         true,
	"EXPIRED_TOKEN":                  true,
	"INVALID_API_KEY":                true,
	"INVALID_SIGNATURE":              true,
	"MISSING_AUTHENTICATION_TOKEN":   true,
	"QUOTA_EXCEEDED":                 true,
	"REQUEST_TOO_LARGE":              true,
	"RESOURCE_NOT_FOUND":             true,
	"THROTTLED":                      true,
	"UNAUTHORIZED":                   true,
	"UNSUPPORTED_MEDIA_TYPE":         true,
	"WAF_FILTERED":                   true,
}

// answeredBeforeIntegration reports whether the record's response type is
// one the gateway answers before calling the integration.
func (r *accessRecord) answeredBeforeIntegration() bool {
	return beforeIntegration[r.ErrorResponseType]
}

type accessFields struct {
	RequestID                logValue `json:"requestId"`
	ExtendedRequestID        logValue `json:"extendedRequestId"`
	Status                   logValue `json:"status"`
	IntegrationRequestID     logValue `json:"integration_requestId"`
	IntegrationStatus        logValue `json:"integration_status"`
	IntegrationIntegStatus   logValue `json:"integration_integrationStatus"`
	IntegrationLatencyDotted logValue `json:"integration_latency"`
	IntegrationLatency       logValue `json:"integrationLatency"`
	IntegrationError         logValue `json:"integration_error"`
	ErrorMessage             logValue `json:"error_message"`
	ErrorResponseType        logValue `json:"error_responseType"`
	ResponseLatency          logValue `json:"responseLatency"`
	RequestTimeEpoch         logValue `json:"requestTimeEpoch"`
	RequestTime              logValue `json:"requestTime"`
	XRayTraceID              logValue `json:"xrayTraceId"`
}

var errAccessNoRequestID = errors.New(`access-log record with an empty "requestId"`)

// parseAccessRecord decodes an access-log line already known to be a JSON
// object with a "requestId" key.
func parseAccessRecord(line []byte) (accessRecord, error) {
	var f accessFields
	if err := json.Unmarshal(line, &f); err != nil {
		return accessRecord{}, err
	}
	r := accessRecord{
		RequestID:            accessID(f.RequestID.str()),
		ExtendedRequestID:    f.ExtendedRequestID.str(),
		Status:               f.Status.integer(),
		IntegrationRequestID: f.IntegrationRequestID.str(),
		IntegrationStatus:    f.IntegrationStatus.integer(),
		LambdaStatus:         f.IntegrationIntegStatus.integer(),
		IntegrationError:     f.IntegrationError.str(),
		ErrorMessage:         f.ErrorMessage.str(),
		ErrorResponseType:    f.ErrorResponseType.str(),
		XRayTraceID:          f.XRayTraceID.str(),
	}
	if r.RequestID == "" {
		return accessRecord{}, errAccessNoRequestID
	}
	r.LogsIntegration = f.IntegrationRequestID.set || f.IntegrationLatencyDotted.set || f.IntegrationLatency.set ||
		f.IntegrationIntegStatus.set || f.IntegrationStatus.set
	// Either latency field may be the one the format defines.
	if v, ok := f.IntegrationLatencyDotted.number(); ok {
		r.IntegrationLatencyMS, r.HasIntegrationLatency = v, true
	} else if v, ok := f.IntegrationLatency.number(); ok {
		r.IntegrationLatencyMS, r.HasIntegrationLatency = v, true
	}
	r.ResponseLatencyMS, r.HasResponseLatency = f.ResponseLatency.number()
	if t, ok := parseTime(f.RequestTimeEpoch.str()); ok {
		r.RequestTime = t
	} else if t, ok := parseTime(f.RequestTime.str()); ok {
		r.RequestTime = t
	}
	return r, nil
}

// calledIntegration reports whether any integration field shows the gateway
// called Lambda.
func (r *accessRecord) calledIntegration() bool {
	return r.IntegrationRequestID != "" || r.LambdaStatus != 0 || r.IntegrationStatus != 0 ||
		r.HasIntegrationLatency || r.isIntegrationTimeout()
}

// isIntegrationTimeout reports a REST integration timeout (504
// INTEGRATION_TIMEOUT, "Endpoint request timed out").
func (r *accessRecord) isIntegrationTimeout() bool {
	return r.ErrorResponseType == "INTEGRATION_TIMEOUT" ||
		strings.Contains(strings.ToLower(r.ErrorMessage), "endpoint request timed out") ||
		strings.Contains(strings.ToLower(r.IntegrationError), "timeout")
}

// gaveUpAt is when the gateway answered: request time + response latency.
func (r *accessRecord) gaveUpAt() time.Time {
	if r.RequestTime.IsZero() || !r.HasResponseLatency {
		return time.Time{}
	}
	return r.RequestTime.Add(time.Duration(r.ResponseLatencyMS * float64(time.Millisecond)))
}
