package main

import (
	"context"

	"github.com/cloudsql-cos-ts/host/launch"
)

// A check returns a human-readable detail on success, or an error saying what Grafana would
// have got wrong.
type checkFunc func(ctx context.Context, p *pluginUnderTest) (detail string, err error)

type namedCheck struct {
	name string
	run  checkFunc
}

// Checks that are not RPCs on the shared process.
const (
	handshakeCheck = "handshake"
	shutdownCheck  = "shutdown"
	stdoutCheck    = "stdout_only_handshake"
)

// rpcChecks run in this order against one process. collect_metrics comes after the queries so
// the query counters have something to count.
var rpcChecks = []namedCheck{
	{"check_health", checkHealth},
	{"query_table_coercions", checkTableCoercions},
	{"query_time_series", checkTimeSeries},
	{"query_numeric", checkNumeric},
	{"query_per_query_errors", checkPerQueryErrors},
	{"resource_health", checkResourceHealth},
	{"resource_not_found", checkResourceNotFound},
	{"collect_metrics", checkCollectMetrics},
	{"concurrent_queries", checkConcurrentQueries},
}

// pluginUnderTest is a plugin process started the way Grafana does (tests/host/launch), or a
// fake served in-process by the self-tests: the checks only use its gRPC clients.
type pluginUnderTest = launch.Plugin
