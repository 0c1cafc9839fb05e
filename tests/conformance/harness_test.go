package main

// Tests of the harness itself: the checks must pass against a plugin that answers exactly as
// Grafana wants (built here with the SDK's own frame writer) and fail for the mistakes they
// exist to catch.

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// fakeAnswers is what the fake plugin returns; each test case breaks one part of it.
type fakeAnswers struct {
	responses     map[string]backend.DataResponse // by refId; unknown refIds answer 42
	healthDetails []byte
	metrics       []byte
}

func conformantAnswers() *fakeAnswers {
	return &fakeAnswers{
		responses: map[string]backend.DataResponse{
			"T":                {Status: backend.StatusOK, Frames: data.Frames{coercionFrame()}},
			"TS":               {Status: backend.StatusOK, Frames: timeSeriesFrames()},
			fromAlertKey + "N": {Status: backend.StatusOK, Frames: data.Frames{numericFrame()}},
			"BAD":              failure(backend.ErrorSourceDownstream, "syntax error"),
			"JSON":             failure(backend.ErrorSourcePlugin, "the query is not valid JSON"),
			"EMPTY":            failure(backend.ErrorSourcePlugin, "the query has no SQL"),
			// The flow-log group: P3's A (Get Queried Result off) and B, and the alert query
			// (refId A too, told apart by alerting's FromAlert header).
			"A":                {Status: backend.StatusOK},
			"B":                {Status: backend.StatusOK, Frames: labelledSeriesFrames(p3MetricsColumn, p3Actions...)},
			fromAlertKey + "A": {Status: backend.StatusOK, Frames: labelledSeriesFrames(alertMetricsColumn, fakeAlertTargets...)},
			logsRefID:          {Status: backend.StatusOK, Frames: data.Frames{logLinesFrame()}},
		},
		healthDetails: []byte(`{"stages": [{"name": "duckdb", "status": "ok", "ms": 1.5, "detail": ""}]}`),
		metrics: []byte(strings.Join([]string{
			"# TYPE cloudsql_cos_ts_queries_total counter",
			`cloudsql_cos_ts_queries_total{status="ok"} 3`,
			"# TYPE cloudsql_cos_ts_query_duration_seconds histogram",
			`cloudsql_cos_ts_query_duration_seconds_bucket{le="+Inf"} 3`,
			"cloudsql_cos_ts_query_duration_seconds_sum 0.1",
			"cloudsql_cos_ts_query_duration_seconds_count 3",
			"",
		}, "\n")),
	}
}

func failure(source backend.ErrorSource, message string) backend.DataResponse {
	return backend.DataResponse{Status: backend.StatusBadRequest, Error: errorString(message), ErrorSource: source}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func coercionFrame() *data.Frame {
	dec, day, null := 2.5, time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC), (*string)(nil)
	frame := data.NewFrame("",
		data.NewField("i", nil, []int32{1}),
		data.NewField("dec", nil, []*float64{&dec}),
		data.NewField("d", nil, []*time.Time{&day}),
		data.NewField("s", nil, []string{"x"}),
		data.NewField("b", nil, []bool{true}),
		data.NewField("ns", nil, []*string{null}),
		data.NewField("arr", nil, []json.RawMessage{json.RawMessage(`[1, 2]`)}),
		data.NewField("st", nil, []json.RawMessage{json.RawMessage(`{"a": 1}`)}),
		data.NewField("m", nil, []json.RawMessage{json.RawMessage(`{"k": 1}`)}),
		data.NewField("ts", nil, []time.Time{time.Unix(0, 1714989600123456000)}),
	)
	frame.RefID = "T"
	return frame.SetMeta(&data.FrameMeta{ExecutedQueryString: coercionSQL})
}

func timeSeriesFrames() data.Frames {
	var frames data.Frames
	for _, host := range []string{"a", "b"} {
		points := wantSeries["host="+host]
		times, values := make([]time.Time, len(points)), make([]float64, len(points))
		for i, pt := range points {
			times[i], values[i] = pt.time, pt.value
		}
		frame := data.NewFrame("value",
			data.NewField("time", nil, times),
			data.NewField("value", data.Labels{"host": host}, values),
		)
		frames = append(frames, frame.SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: dataplaneVersion}))
	}
	return frames
}

func numericFrame() *data.Frame {
	frame := data.NewFrame("",
		data.NewField("host", nil, []string{"a", "b"}),
		data.NewField("value", nil, []float64{1.5, 2.5}),
	)
	return frame.SetMeta(&data.FrameMeta{Type: data.FrameTypeNumericLong, TypeVersion: dataplaneVersion})
}

// fromAlertKey prefixes the refIds the fake answers for requests with the FromAlert header.
const fromAlertKey = "FromAlert/"

var fakeAlertTargets = []string{"10.240.0.4", "10.240.0.5", "10.240.64.4"}

// labelledSeriesFrames is one timeseries-multi frame per value, labelled {label=value}, with
// three hourly float64 points each.
func labelledSeriesFrames(label string, values ...string) data.Frames {
	var frames data.Frames
	for i, value := range values {
		start := queryRange.From
		times := []time.Time{start, start.Add(time.Hour), start.Add(2 * time.Hour)}
		frame := data.NewFrame("value",
			data.NewField("time", nil, times),
			data.NewField("value", data.Labels{label: value}, []float64{float64(i), 2, 3}),
		)
		frame.RefID = "B"
		frames = append(frames, frame.SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: dataplaneVersion}))
	}
	return frames
}

func answerFrame() *data.Frame {
	return data.NewFrame("", data.NewField("answer", nil, []int32{42}))
}

// The three gRPC services of the fake plugin, all reading the same answers.

type fakeData struct {
	pluginv2.UnimplementedDataServer
	answers *fakeAnswers
}

func (f *fakeData) QueryData(_ context.Context, req *pluginv2.QueryDataRequest) (*pluginv2.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		key := q.RefId
		if req.Headers["FromAlert"] == "true" {
			key = fromAlertKey + key
		}
		res, ok := f.answers.responses[key]
		if !ok {
			res = backend.DataResponse{Status: backend.StatusOK, Frames: data.Frames{answerFrame()}}
		}
		resp.Responses[q.RefId] = res
	}
	return backend.ToProto().QueryDataResponse(backend.DataFrameFormat_ARROW, resp)
}

type fakeDiagnostics struct {
	pluginv2.UnimplementedDiagnosticsServer
	answers *fakeAnswers
}

func (f *fakeDiagnostics) CheckHealth(context.Context, *pluginv2.CheckHealthRequest) (*pluginv2.CheckHealthResponse, error) {
	return &pluginv2.CheckHealthResponse{Status: pluginv2.CheckHealthResponse_OK, JsonDetails: f.answers.healthDetails}, nil
}

func (f *fakeDiagnostics) CollectMetrics(context.Context, *pluginv2.CollectMetricsRequest) (*pluginv2.CollectMetricsResponse, error) {
	return &pluginv2.CollectMetricsResponse{Metrics: &pluginv2.CollectMetricsResponse_Payload{Prometheus: f.answers.metrics}}, nil
}

type fakeResource struct {
	pluginv2.UnimplementedResourceServer
}

func (fakeResource) CallResource(req *pluginv2.CallResourceRequest, stream pluginv2.Resource_CallResourceServer) error {
	if req.Path == "health" {
		return stream.Send(&pluginv2.CallResourceResponse{Code: 200, Body: []byte(`{"status": "ok"}`)})
	}
	return stream.Send(&pluginv2.CallResourceResponse{Code: 404, Body: []byte(`{"error": "no such resource"}`)})
}

// serveFake runs the fake plugin on a unix socket and returns clients connected to it.
func serveFake(t *testing.T, answers *fakeAnswers) *pluginUnderTest {
	t.Helper()
	listener, err := net.Listen("unix", filepath.Join(t.TempDir(), "plugin.sock"))
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	pluginv2.RegisterDataServer(server, &fakeData{answers: answers})
	pluginv2.RegisterDiagnosticsServer(server, &fakeDiagnostics{answers: answers})
	pluginv2.RegisterResourceServer(server, fakeResource{})
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)

	conn, err := grpc.NewClient("unix://"+listener.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &pluginUnderTest{
		Data:        pluginv2.NewDataClient(conn),
		Diagnostics: pluginv2.NewDiagnosticsClient(conn),
		Resource:    pluginv2.NewResourceClient(conn),
	}
}

// runChecks returns the failure of every check by name; passing checks are absent.
func runChecks(t *testing.T, p *pluginUnderTest) map[string]error {
	t.Helper()
	return runCheckList(t, p, rpcChecks)
}

func runCheckList(t *testing.T, p *pluginUnderTest, checks []namedCheck) map[string]error {
	t.Helper()
	failures := map[string]error{}
	for _, c := range checks {
		if _, err := runWithTimeout(c.run, p, 30*time.Second); err != nil {
			failures[c.name] = err
		}
	}
	return failures
}

func TestChecksPassForAConformantPlugin(t *testing.T) {
	for name, err := range runChecks(t, serveFake(t, conformantAnswers())) {
		t.Errorf("%s failed: %v", name, err)
	}
}

func TestChecksCatchMistakes(t *testing.T) {
	cases := []struct {
		mistake   string
		breakIt   func(a *fakeAnswers)
		wantFails string
	}{
		{"nullable time in a time series", func(a *fakeAnswers) {
			for _, f := range a.responses["TS"].Frames {
				f.Fields[0] = data.NewField("time", nil, make([]*time.Time, f.Rows()))
			}
		}, "query_time_series"},
		{"microseconds lost", func(a *fakeAnswers) {
			a.responses["T"].Frames[0].Fields[9].Set(0, time.Unix(1714989600, 0))
		}, "query_table_coercions"},
		{"numeric frame without typeVersion", func(a *fakeAnswers) {
			a.responses[fromAlertKey+"N"].Frames[0].Meta.TypeVersion = data.FrameTypeVersion{}
		}, "query_numeric"},
		{"status 0 on a failure", func(a *fakeAnswers) {
			a.responses["BAD"] = backend.DataResponse{Error: errorString("syntax error"), ErrorSource: backend.ErrorSourceDownstream}
		}, "query_per_query_errors"},
		{"jsonDetails not an object", func(a *fakeAnswers) {
			a.healthDetails = []byte(`[]`)
		}, "check_health"},
		{"histogram missing", func(a *fakeAnswers) {
			a.metrics = []byte("# TYPE cloudsql_cos_ts_queries_total counter\ncloudsql_cos_ts_queries_total{status=\"ok\"} 3\n")
		}, "collect_metrics"},
	}
	for _, tc := range cases {
		t.Run(tc.mistake, func(t *testing.T) {
			answers := conformantAnswers()
			tc.breakIt(answers)
			failures := runChecks(t, serveFake(t, answers))
			if _, ok := failures[tc.wantFails]; !ok || len(failures) != 1 {
				t.Errorf("want only %s to fail, got failures %v", tc.wantFails, failures)
			}
		})
	}
}

var fakeLogLines = 3

// logLinesFrame is a logs frame as the contract's own Go example builds it, with flow-log lines.
func logLinesFrame() *data.Frame {
	at := time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC)
	info, warning := "info", "warning"
	frame := data.NewFrame("LOGS",
		data.NewField("timestamp", nil, []time.Time{at, at, at.Add(time.Second)}),
		data.NewField("body", nil, []string{
			"ACCEPT tcp 10.0.0.5:443 → 203.0.113.9:51514 1.2 KB 12 pkts ingress v1",
			"REJECT tcp 198.51.100.7:40000 → 10.0.0.5:22 60 B 1 pkts ingress v1",
			"ACCEPT udp 10.0.0.5:68 → 10.0.0.1:67 684 B 2 pkts egress v1",
		}),
		data.NewField("severity", nil, []*string{&info, &warning, &info}),
		data.NewField("id", nil, []string{"LOGS_1_0", "LOGS_1_1", "LOGS_2_0"}),
		data.NewField("labels", nil, []*json.RawMessage{
			rawJSON(`{"action":"accepted"}`), rawJSON(`{"action":"rejected"}`), rawJSON(`{"action":"accepted"}`),
		}),
	)
	frame.Meta = &data.FrameMeta{Type: data.FrameTypeLogLines, TypeVersion: logsTypeVersion, PreferredVisualization: data.VisTypeLogs}
	return frame
}

func rawJSON(text string) *json.RawMessage {
	message := json.RawMessage(text)
	return &message
}

// fakeFlowlogInput is a -flowlogs input for the fake plugin, which ignores the SQL.
func fakeFlowlogInput() *flowlogInput {
	in := &flowlogInput{
		Source:       "/nonexistent/flowlogs",
		Destination:  "/nonexistent/results",
		From:         queryRange.From.UnixMilli(),
		To:           queryRange.To.UnixMilli(),
		AlertTargets: fakeAlertTargets,
		LogLines:     &fakeLogLines,
	}
	in.Queries.P3A, in.Queries.P3B, in.Queries.Alert = "-- A", "-- B", "-- alert"
	return in
}

func TestFlowlogChecksPassForAConformantPlugin(t *testing.T) {
	for name, err := range runCheckList(t, serveFake(t, conformantAnswers()), flowlogChecks(fakeFlowlogInput())) {
		t.Errorf("%s failed: %v", name, err)
	}
}

func TestFlowlogChecksCatchMistakes(t *testing.T) {
	alert := fromAlertKey + "A"
	cases := []struct {
		mistake   string
		breakIt   func(a *fakeAnswers, in *flowlogInput)
		wantFails string
	}{
		{"query A returns frames with Get Queried Result off", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses["A"] = backend.DataResponse{Status: backend.StatusOK, Frames: data.Frames{answerFrame()}}
		}, flowlogP3Check},
		{"query B fails", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses["B"] = failure(backend.ErrorSourcePlugin, "no such table A")
		}, flowlogP3Check},
		{"one action missing", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses["B"] = backend.DataResponse{Status: backend.StatusOK, Frames: labelledSeriesFrames(p3MetricsColumn, "accepted")}
		}, flowlogP3Check},
		{"series labelled by the wrong column", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses["B"] = backend.DataResponse{Status: backend.StatusOK, Frames: labelledSeriesFrames("value", p3Actions...)}
		}, flowlogP3Check},
		{"int64 values", func(a *fakeAnswers, _ *flowlogInput) {
			for _, f := range a.responses["B"].Frames {
				f.Fields[1] = data.NewField("value", f.Fields[1].Labels, make([]int64, f.Rows()))
			}
		}, flowlogP3Check},
		{"wide frame without meta.type", func(a *fakeAnswers, _ *flowlogInput) {
			for _, f := range a.responses["B"].Frames {
				f.Meta.Type = ""
			}
		}, flowlogP3Check},
		{"nullable time for alerting", func(a *fakeAnswers, _ *flowlogInput) {
			for _, f := range a.responses[alert].Frames {
				f.Fields[0] = data.NewField("time", nil, make([]*time.Time, f.Rows()))
			}
		}, flowlogAlertCheck},
		{"duplicate labels for alerting", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses[alert] = backend.DataResponse{
				Status: backend.StatusOK,
				Frames: labelledSeriesFrames(alertMetricsColumn, "10.240.0.4", "10.240.0.4"),
			}
		}, flowlogAlertCheck},
		{"unsorted times for alerting", func(a *fakeAnswers, _ *flowlogInput) {
			f := a.responses[alert].Frames[0]
			f.Fields[0].Set(0, queryRange.To)
		}, flowlogAlertCheck},
		{"a target missing", func(_ *fakeAnswers, in *flowlogInput) {
			in.AlertTargets = append(in.AlertTargets, "10.240.128.4")
		}, flowlogAlertCheck},
		{"alert query refused", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses[alert] = failure(backend.ErrorSourcePlugin, "alerting needs a time series")
		}, flowlogAlertCheck},
		{"logs without preferredVisualisationType", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses[logsRefID].Frames[0].Meta.PreferredVisualization = ""
		}, flowlogLogsCheck},
		{"logs typed as a table", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses[logsRefID].Frames[0].Meta.Type = data.FrameTypeTable
		}, flowlogLogsCheck},
		{"logs with a nullable time", func(a *fakeAnswers, _ *flowlogInput) {
			f := a.responses[logsRefID].Frames[0]
			f.Fields[0] = data.NewField("timestamp", nil, make([]*time.Time, f.Rows()))
		}, flowlogLogsCheck},
		{"logs with a repeated id", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses[logsRefID].Frames[0].Fields[3].Set(1, "LOGS_1_0")
		}, flowlogLogsCheck},
		{"a rejected line at level info", func(a *fakeAnswers, _ *flowlogInput) {
			info := "info"
			a.responses[logsRefID].Frames[0].Fields[2].Set(1, &info)
		}, flowlogLogsCheck},
		{"labels that are not an object", func(a *fakeAnswers, _ *flowlogInput) {
			a.responses[logsRefID].Frames[0].Fields[4].Set(0, rawJSON(`["accepted"]`))
		}, flowlogLogsCheck},
		{"a line missing", func(_ *fakeAnswers, in *flowlogInput) {
			four := 4
			in.LogLines = &four
		}, flowlogLogsCheck},
	}
	for _, tc := range cases {
		t.Run(tc.mistake, func(t *testing.T) {
			answers, in := conformantAnswers(), fakeFlowlogInput()
			tc.breakIt(answers, in)
			failures := runCheckList(t, serveFake(t, answers), flowlogChecks(in))
			if _, ok := failures[tc.wantFails]; !ok || len(failures) != 1 {
				t.Errorf("want only %s to fail, got failures %v", tc.wantFails, failures)
			}
			t.Logf("%s: %v", tc.wantFails, failures[tc.wantFails])
		})
	}
}

func TestReadFlowlogInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.json", `{"source": "/d", "from": 1, "to": 2, "queries": {"P3A": "a", "P3B": "b", "alert": "c"}}`)
	if in, err := readFlowlogInput(good); err != nil || in.Queries.Alert != "c" || in.AlertTargets != nil {
		t.Errorf("good input: %+v, %v", in, err)
	}
	for name, text := range map[string]string{
		"missing-alert.json": `{"source": "/d", "from": 1, "to": 2, "queries": {"P3A": "a", "P3B": "b"}}`,
		"empty-range.json":   `{"source": "/d", "from": 2, "to": 2, "queries": {"P3A": "a", "P3B": "b", "alert": "c"}}`,
		"unknown-key.json":   `{"source": "/d", "from": 1, "to": 2, "sql": {}, "queries": {"P3A": "a", "P3B": "b", "alert": "c"}}`,
		"not-json.json":      `{`,
	} {
		if _, err := readFlowlogInput(write(name, text)); err == nil {
			t.Errorf("%s accepted, want an error", name)
		}
	}
}

func TestParseHandshake(t *testing.T) {
	cases := []struct {
		line    string
		network string // "" = must be rejected
	}{
		{"1|2|unix|/tmp/x/plugin.sock|grpc\n", "unix"},
		{"1|2|tcp|127.0.0.1:43121|grpc\r\n", "tcp"},
		{"1|1|unix|/tmp/x/plugin.sock|grpc", ""},
		{"1|2|unix|/tmp/x/plugin.sock|netrpc", ""},
		{"1|2|unix|/tmp/x/plugin.sock", ""},
		{"1|2|unix|/tmp/x/plugin.sock|grpc|CERT", ""},
		{"Loading DuckDB...", ""},
	}
	for _, tc := range cases {
		network, _, err := parseHandshake(tc.line)
		if tc.network == "" && err == nil {
			t.Errorf("%q accepted, want rejected", tc.line)
		}
		if tc.network != "" && (err != nil || network != tc.network) {
			t.Errorf("%q: network %q, error %v; want %q", tc.line, network, err, tc.network)
		}
	}
}
