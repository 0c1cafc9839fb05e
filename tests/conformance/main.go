// Command conformance starts a Grafana backend plugin executable the way Grafana does
// (hashicorp/go-plugin with the plugin SDK's handshake and gRPC clients) and checks that
// it answers every call the way Grafana expects.
//
// It prints one JSON line per check, {"check": name, "ok": bool, "detail": "..."}, plus
// {"measure": name, "value": number, "unit": "..."} lines for timings, and exits 1 when
// any check failed.
//
// With -decode DIR it starts no plugin: it decodes every *.arrow file of DIR the way Grafana
// decodes a frame and prints one JSON line per file (see decode.go); it exits 1 when a file did
// not decode.
//
// With -flowlogs FILE (and -executable) it runs only the flow-log check group instead: the
// dashboard's P3 panel and alert query over generated flow logs (see check_flowlogs.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudsql-cos-ts/host/launch"
)

func main() {
	executable := flag.String("executable", "", "path of the plugin executable, e.g. dist/gpx_cloudsql_cos_ts_linux_amd64")
	checkTimeout := flag.Duration("check-timeout", 60*time.Second, "time limit of each check")
	decode := flag.String("decode", "", "decode every *.arrow frame file of this folder instead of running the checks")
	flowlogs := flag.String("flowlogs", "", "run the flow-log checks with this JSON input (source, from, to, queries) instead")
	flag.Parse()
	if *decode != "" && *executable == "" {
		allOK, err := decodeDir(*decode, os.Stdout)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if !allOK {
			os.Exit(1)
		}
		return
	}
	if *executable == "" || *decode != "" {
		fmt.Fprintln(os.Stderr, "usage: conformance -executable PATH [-flowlogs FILE] | conformance -decode DIR")
		os.Exit(2)
	}

	// Grafana execs an absolute path; the plugin runs from "/", where a relative one breaks.
	absolute, err := filepath.Abs(*executable)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	report := newReporter(os.Stdout)
	if *flowlogs != "" {
		runFlowlogs(absolute, *flowlogs, *checkTimeout, report)
	} else {
		run(absolute, *checkTimeout, report)
	}
	if report.failed {
		os.Exit(1)
	}
}

// run launches the plugin once for the RPC checks, then once more for the stdout audit.
func run(executable string, checkTimeout time.Duration, report *reporter) {
	cacheDir, err := os.MkdirTemp("", "conformance-cache-")
	if err != nil {
		report.fail(handshakeCheck, fmt.Errorf("creating GF_PLUGIN_CACHE_DIR: %w", err))
		return
	}
	defer os.RemoveAll(cacheDir)

	started := time.Now()
	p, err := launch.Start(executable, launch.GrafanaEnv(cacheDir))
	if err != nil {
		report.fail(handshakeCheck, err)
		notRun := errors.New("not run: the plugin did not start")
		for _, c := range rpcChecks {
			report.fail(c.name, notRun)
		}
		report.fail(shutdownCheck, notRun)
	} else {
		report.measure("handshake", time.Since(started).Seconds(), "s")
		report.pass(handshakeCheck, p.Describe())
		for _, c := range rpcChecks {
			detail, err := runWithTimeout(c.run, p, checkTimeout)
			report.result(c.name, detail, err)
		}
		detail, err := checkShutdown(p)
		report.result(shutdownCheck, detail, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	detail, err := checkStdoutOnlyHandshake(ctx, executable, cacheDir)
	report.result(stdoutCheck, detail, err)
}

// runWithTimeout gives a check its own deadline and turns a panic into a failure, so one
// broken check never hides the results of the others.
func runWithTimeout(check checkFunc, p *pluginUnderTest, timeout time.Duration) (detail string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("check panicked: %v", r)
		}
	}()
	return check(ctx, p)
}
