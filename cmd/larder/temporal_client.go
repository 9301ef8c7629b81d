package main

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// clientOptions are the options of the one Temporal client a process
// dials: its web and worker share it, with the SDK's metrics going to
// /metrics and traces carried through every case.
func (a *app) clientOptions(addr string) client.Options {
	return client.Options{
		HostPort:       addr,
		Namespace:      a.cfg.Temporal.Namespace,
		Logger:         log.NewStructuredLogger(a.log.With("component", "temporal-client")),
		MetricsHandler: a.sdkMetrics(),
		Interceptors:   a.tracingInterceptors(),
	}
}
