package policy_test

import (
	"net/http"
	"testing"

	"github.com/retryscope/retryscope/policy"
)

// TestBugGatewayAnswersClassify holds the answers that were classified wrongly,
// each with the source its expectation rests on.
func TestBugGatewayAnswersClassify(t *testing.T) {
	t.Parallel()
	head := func(ex policy.Exchange) policy.Exchange { ex.Request.Method = http.MethodHead; return ex }
	for _, tc := range []struct {
		classifyCase
		source string
	}{
		// AUTHORIZER_FAILURE and AUTHORIZER_CONFIGURATION_ERROR default to 500
		// (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html);
		// the authorizer runs before the integration request
		// (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html,
		// docs/aws-behaviour.md#gateway-response-types). Observed on the wire:
		// 500 {"message":null} with x-amzn-ErrorType AuthorizerConfigurationException
		// (loige.co/debugging-custom-apigateway-authorizers, Nov 2023;
		// ustaxcourt/ef-cms#607; serverless/examples#305). It was a plain 500:
		// reach backend, so a POST was not retried though the function never ran.
		{classifyCase{"authorizer 500", answer(500, `{"message":null}`,
			join(restIDs, errType("AuthorizerConfigurationException"))...), policy.ReachGateway, true, policy.CauseAuthorizerError},
			"supported-gateway-response-types; apigateway-use-lambda-authorizer"},
		{classifyCase{"authorizer 500 via cloudfront", answer(500, `{"message":null}`,
			join(restIDs, edgeHops, errType("AuthorizerConfigurationException"))...), policy.ReachGateway, true, policy.CauseAuthorizerError},
			"as above"},
		// A response to HEAD has no content (RFC 9110 §9.3.2), so the body
		// signatures cannot match it; the error type still tells. A usage-plan
		// quota (QUOTA_EXCEEDED 429, LimitExceededException) was retried as a
		// throttle on a HEAD and refused on a GET.
		{classifyCase{"HEAD quota 429", head(answer(429, ``, join(restIDs, errType("LimitExceededException"))...)),
			policy.ReachGateway, false, policy.CauseQuotaExceeded},
			"RFC 9110 §9.3.2; supported-gateway-response-types QUOTA_EXCEEDED"},
		// REST 502 for a function error (Lambda developer guide, "Handling
		// Lambda errors with an API Gateway API": "If the function runs but
		// returns an error, or returns a response in the wrong format, API
		// Gateway returns a 502"). A HEAD's 502 was a plain 502, not retried,
		// where the GET's is.
		{classifyCase{"HEAD function error 502", head(answer(502, ``, join(restIDs, errType("InternalServerErrorException"))...)),
			policy.ReachBackend, true, policy.CauseFunctionError},
			"RFC 9110 §9.3.2; lambda/latest/dg/services-apigateway-errors.html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkClassify(t, policy.Default(), tc.classifyCase)
		})
	}
}

// TestBugGatewayAnswersDecide: what the classifications above change for a POST.
func TestBugGatewayAnswersDecide(t *testing.T) {
	t.Parallel()
	p := fixed()
	o := p.Classify(answer(500, `{"message":null}`, join(restIDs, errType("AuthorizerConfigurationException"))...))
	if d := p.Decide(after(http.MethodPost), o, now); !d.Retry || d.Rule != policy.RuleRetry {
		t.Errorf("POST after an authorizer 500: %+v, want a retry (the function did not run)", d)
	}
	if o.IsThrottle() {
		t.Errorf("an authorizer 500 is not a throttle")
	}
}

// TestBugBudgetBoundInTokens: Budget's doc said "retries <= Ratio*requests +
// MinRetriesPerSecond*seconds + MaxTokens", but a retry after a throttle
// withdraws ThrottleCost (5/14 by default, after the AWS SDKs' 14 and 5
// tokens: aws-sdk-go-v2 v1.48.0 aws/retry defaultRetryCost and
// DefaultThrottlingRetryCost), so a full default budget pays 28 of them at
// once. The bound holds for tokens; the doc now says so.
func TestBugBudgetBoundInTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		o    policy.Outcome
		want int
	}{
		{policy.Outcome{Cause: policy.CauseThrottled}, 28},
		{policy.Outcome{Cause: policy.CauseServerError}, 10},
	} {
		b := policy.NewBudget(policy.BudgetConfig{})
		n := 0
		for ; n < 100; n++ {
			if _, ok := b.Reserve(now, b.Cost(tc.o), 0); !ok {
				break
			}
		}
		if n != tc.want {
			t.Errorf("after %s: %d retries paid at once, want %d", tc.o.Cause, n, tc.want)
		}
	}
}
