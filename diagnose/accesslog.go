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
