package main

// The flow-log check group (-flowlogs FILE): the dashboard's chained P3 panel and its alert query,
// run on generated VPC flow logs, must give frames Grafana decodes and the dataplane readers of
// server-side expressions and alerting accept; a Logs query must give the logs frame (check_logs.go). The SQL comes from the input file, which the pytest
// driver writes from the shared dashboard document (unchanged, ${target_ip} substituted).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/cloudsql-cos-ts/host/launch"
)

const (
	flowlogP3Check    = "flowlog_p3_timeseries"
	flowlogAlertCheck = "flowlog_alert_timeseries"
)

// Grafana alerting sends every rule query with these (pkg/services/ngalert/eval) and, by default,
// a 1 s interval and 43200 max data points.
var alertHeaders = map[string]string{"FromAlert": "true", "X-Cache-Skip": "true"}

const (
	alertIntervalMs            = 1000
	alertMaxDataPoints   int64 = 43200
	p3MetricsColumn            = "action"
	alertMetricsColumn         = "target_ip"
	flowlogDatasourceUID       = "flowlogs"
)

// The actions P3's query B must give one series each for.
var p3Actions = []string{"accepted", "rejected"}

// flowlogInput is the -flowlogs file.
type flowlogInput struct {
	Source      string `json:"source"`                // folder of generated flow logs
	Destination string `json:"destination,omitempty"` // $__dest folder; a temp dir when empty
	From        int64  `json:"from"`                  // dashboard time range, epoch ms
	To          int64  `json:"to"`
	Queries     struct {
		P3A   string `json:"P3A"`
		P3B   string `json:"P3B"`
		Alert string `json:"alert"`
	} `json:"queries"`
	// AlertTargets, when given, are the target_ip values the alert query must give a series for.
	AlertTargets []string `json:"alertTargets,omitempty"`
	// LogLines, when given, is the number of records in the range: the Logs query's line count.
	LogLines *int `json:"logLines,omitempty"`
}

func readFlowlogInput(path string) (*flowlogInput, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the -flowlogs file: %w", err)
	}
	var in flowlogInput
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&in); err != nil {
		return nil, fmt.Errorf("the -flowlogs file %s is not valid input: %w", path, err)
	}
	var missing []string
	for name, value := range map[string]string{
		"source": in.Source, "queries.P3A": in.Queries.P3A, "queries.P3B": in.Queries.P3B, "queries.alert": in.Queries.Alert,
	} {
		if value == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 || in.To <= in.From {
		slices.Sort(missing)
		return nil, fmt.Errorf("the -flowlogs file %s needs source, from < to and queries P3A, P3B, alert (missing %v, from %d, to %d)",
			path, missing, in.From, in.To)
	}
	return &in, nil
}

func (in *flowlogInput) timeRange() backend.TimeRange {
	return backend.TimeRange{From: time.UnixMilli(in.From).UTC(), To: time.UnixMilli(in.To).UTC()}
}

// pluginContext is the flow-log datasource: source and destination folders in jsonData.
func (in *flowlogInput) pluginContext() backend.PluginContext {
	settings, err := json.Marshal(map[string]string{"source": in.Source, "destination": in.Destination})
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	pc := pluginContextWith(settings)
	pc.DataSourceInstanceSettings.UID = flowlogDatasourceUID
	pc.DataSourceInstanceSettings.Name = "VPC flow logs"
	return pc
}

// flowlogChecks are the checks of the group, in order, for this input.
func flowlogChecks(in *flowlogInput) []namedCheck {
	return []namedCheck{
		{flowlogP3Check, func(ctx context.Context, p *pluginUnderTest) (string, error) { return checkFlowlogP3(ctx, p, in) }},
		{flowlogAlertCheck, func(ctx context.Context, p *pluginUnderTest) (string, error) { return checkFlowlogAlert(ctx, p, in) }},
		{flowlogLogsCheck, func(ctx context.Context, p *pluginUnderTest) (string, error) { return checkFlowlogLogs(ctx, p, in) }},
	}
}

var flowlogCheckNames = []string{flowlogP3Check, flowlogAlertCheck, flowlogLogsCheck}

// runFlowlogs launches the plugin like Grafana, runs the flow-log checks and stops it.
func runFlowlogs(executable, inputPath string, checkTimeout time.Duration, report *reporter) {
	failAll := func(err error) {
		for _, name := range flowlogCheckNames {
			report.fail(name, err)
		}
	}
	in, err := readFlowlogInput(inputPath)
	if err != nil {
		failAll(err)
		return
	}
	if in.Destination == "" {
		if in.Destination, err = os.MkdirTemp("", "conformance-dest-"); err != nil {
			failAll(fmt.Errorf("creating the destination folder: %w", err))
			return
		}
		defer os.RemoveAll(in.Destination)
	}
	cacheDir, err := os.MkdirTemp("", "conformance-cache-")
	if err != nil {
		failAll(fmt.Errorf("creating GF_PLUGIN_CACHE_DIR: %w", err))
		return
	}
	defer os.RemoveAll(cacheDir)

	started := time.Now()
	p, err := launch.Start(executable, launch.GrafanaEnv(cacheDir))
	if err != nil {
		failAll(fmt.Errorf("not run: the plugin did not start: %w", err))
		return
	}
	defer p.Client.Kill()
	report.measure("flowlog_handshake", time.Since(started).Seconds(), "s")
	for _, c := range flowlogChecks(in) {
		checkStarted := time.Now()
		detail, err := runWithTimeout(c.run, p, checkTimeout)
		report.measure(c.name, time.Since(checkStarted).Seconds(), "s")
		report.result(c.name, detail, err)
	}
}

// flowlogQuery is a query model as the dashboard saves it, over the input's time range.
func (in *flowlogInput) query(m queryModel) backend.DataQuery {
	q := m.dataQuery()
	q.TimeRange = in.timeRange()
	q.MaxDataPoints = m.MaxDataPoints
	q.Interval = time.Duration(m.IntervalMs) * time.Millisecond
	return q
}

// checkFlowlogP3 sends P3's A (Get Queried Result off) and B (time series by action) in one
// request, as the panel does.
func checkFlowlogP3(ctx context.Context, p *pluginUnderTest, in *flowlogInput) (string, error) {
	getResult := false
	a := sqlQuery("A", in.Queries.P3A, formatTable)
	a.Datasource.UID, a.GetResult = flowlogDatasourceUID, &getResult
	b := sqlQuery("B", in.Queries.P3B, formatTimeSeries)
	b.Datasource.UID, b.TimeColumn, b.MetricsColumn = flowlogDatasourceUID, "tt", p3MetricsColumn
	responses, err := sendQueryData(ctx, p, &backend.QueryDataRequest{
		PluginContext: in.pluginContext(),
		Queries:       []backend.DataQuery{in.query(a), in.query(b)},
	})
	if err != nil {
		return "", err
	}
	resA, err := okResponse(responses, "A")
	if err != nil {
		return "", err
	}
	if len(resA.Frames) != 0 {
		return "", fmt.Errorf("query A has Get Queried Result off but returned %d frames, want none", len(resA.Frames))
	}
	resB, err := okResponse(responses, "B")
	if err != nil {
		return "", err
	}
	series, err := requireLabelledSeries(resB.Frames, p3MetricsColumn)
	if err != nil {
		return "", fmt.Errorf("query B: %w", err)
	}
	if got := slices.Sorted(maps.Keys(series)); !slices.Equal(got, p3Actions) {
		return "", fmt.Errorf("query B has series for %s %v, want one each for %v", p3MetricsColumn, got, p3Actions)
	}
	n, err := readLabelledSeriesLikeSSE(resB.Frames, p3MetricsColumn)
	if err != nil {
		return "", fmt.Errorf("query B: %w", err)
	}
	return fmt.Sprintf("A: status 200, no frames; B: %d timeseries-multi frames (%s) %s; dataplane reader found %d series",
		len(resB.Frames), fieldSummary(resB.Frames[0]), describeSeries(series), n), nil
}

// checkFlowlogAlert sends the alert query as Grafana alerting does.
func checkFlowlogAlert(ctx context.Context, p *pluginUnderTest, in *flowlogInput) (string, error) {
	m := sqlQuery("A", in.Queries.Alert, formatTimeSeries)
	m.Datasource.UID, m.MetricsColumn = flowlogDatasourceUID, alertMetricsColumn
	m.IntervalMs, m.MaxDataPoints = alertIntervalMs, alertMaxDataPoints
	responses, err := sendQueryData(ctx, p, &backend.QueryDataRequest{
		PluginContext: in.pluginContext(),
		Headers:       maps.Clone(alertHeaders),
		Queries:       []backend.DataQuery{in.query(m)},
	})
	if err != nil {
		return "", err
	}
	res, err := okResponse(responses, "A")
	if err != nil {
		return "", err
	}
	series, err := requireLabelledSeries(res.Frames, alertMetricsColumn)
	if err != nil {
		return "", err
	}
	targets := slices.Sorted(maps.Keys(series))
	if in.AlertTargets != nil {
		if want := slices.Sorted(slices.Values(in.AlertTargets)); !slices.Equal(targets, want) {
			return "", fmt.Errorf("series for %s %v, want one each for %v", alertMetricsColumn, targets, want)
		}
	}
	n, err := readLabelledSeriesLikeSSE(res.Frames, alertMetricsColumn)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d timeseries-multi frames (%s) %s; dataplane reader found %d series with unique labels",
		len(res.Frames), fieldSummary(res.Frames[0]), describeSeries(series), n), nil
}

// okResponse wants a successful answer for refID.
func okResponse(responses backend.Responses, refID string) (backend.DataResponse, error) {
	res, ok := responses[refID]
	if !ok {
		return res, fmt.Errorf("no response for refId %s (got %v)", refID, slices.Sorted(maps.Keys(responses)))
	}
	if res.Error != nil || res.Status != backend.StatusOK {
		return res, fmt.Errorf("refId %s: status %d, error %v", refID, res.Status, res.Error)
	}
	return res, nil
}

// requireLabelledSeries checks each frame is one timeseries-multi series as alerting wants it:
// a non-nullable time field, a float64 value field labelled exactly {labelName=<non-empty>},
// at least one point, times strictly ascending; labels unique across frames. It returns the
// number of points by label value.
func requireLabelledSeries(frames data.Frames, labelName string) (map[string]int, error) {
	if len(frames) == 0 {
		return nil, errors.New("no frames, want one timeseries-multi frame per series")
	}
	series := map[string]int{}
	for i, frame := range frames {
		if err := requireFrameType(frame, data.FrameTypeTimeSeriesMulti); err != nil {
			return nil, fmt.Errorf("frame %d: %w", i, err)
		}
		timeField, valueField, err := splitTimeAndValue(frame)
		if err != nil {
			return nil, fmt.Errorf("frame %d: %w", i, err)
		}
		// SSE's seriesCheckSelectTime: "Must have []time.Time field (no nullable time)".
		if err := requireFieldType(timeField, data.FieldTypeTime); err != nil {
			return nil, fmt.Errorf("frame %d: %w", i, err)
		}
		if err := requireFieldType(valueField, eitherNullability(data.FieldTypeFloat64)...); err != nil {
			return nil, fmt.Errorf("frame %d: %w", i, err)
		}
		value, ok := valueField.Labels[labelName]
		if len(valueField.Labels) != 1 || !ok || value == "" {
			return nil, fmt.Errorf("frame %d: value field labels are {%s}, want exactly {%s=<value>}", i, valueField.Labels, labelName)
		}
		if _, dup := series[value]; dup {
			return nil, fmt.Errorf("frame %d: labels {%s} repeat an earlier frame's; alerting needs unique labels", i, valueField.Labels)
		}
		if frame.Rows() == 0 {
			return nil, fmt.Errorf("frame %d {%s}: no points", i, valueField.Labels)
		}
		if err := requireAscendingTimes(timeField); err != nil {
			return nil, fmt.Errorf("frame %d {%s}: %w", i, valueField.Labels, err)
		}
		series[value] = frame.Rows()
	}
	return series, nil
}

func requireAscendingTimes(field *data.Field) error {
	for row := 1; row < field.Len(); row++ {
		previous, _ := field.At(row - 1).(time.Time)
		current, _ := field.At(row).(time.Time)
		if !current.After(previous) {
			return fmt.Errorf("time %s at row %d does not follow %s", showValue(current), row, showValue(previous))
		}
	}
	return nil
}

// readLabelledSeriesLikeSSE feeds the frames to the dataplane time series reader as Grafana's
// server-side expressions do, then reads every point of every series as a float the way SSE turns
// a series into numbers. It wants one series per frame, each labelled by labelName, all labels
// unique, and returns the number of series.
func readLabelledSeriesLikeSSE(frames data.Frames, labelName string) (int, error) {
	collection, err := collectTimeSeriesLikeSSE(frames)
	if err != nil {
		return 0, err
	}
	if len(collection.Refs) != len(frames) {
		return 0, fmt.Errorf("dataplane reader found %d series in %d frames, want one per frame", len(collection.Refs), len(frames))
	}
	seen := map[string]bool{}
	for _, ref := range collection.Refs {
		labels := ref.GetLabels()
		key := labels.String()
		if _, ok := labels[labelName]; !ok || seen[key] {
			return 0, fmt.Errorf("dataplane series labels {%s}: want unique labels with %s", key, labelName)
		}
		seen[key] = true
		if err := readPoints(ref); err != nil {
			return 0, fmt.Errorf("dataplane series {%s}: %w", key, err)
		}
	}
	return len(collection.Refs), nil
}

func readPoints(ref timeseries.MetricRef) error {
	n, err := ref.Len()
	if err != nil {
		return err
	}
	for i := range n {
		if _, value, err := ref.NullableFloat64Point(i); err != nil || value == nil {
			return fmt.Errorf("point %d has no float value (error %v)", i, err)
		}
	}
	return nil
}

// describeSeries prints "{label=value: n points, ...}" in label order.
func describeSeries(series map[string]int) string {
	parts := make([]string, 0, len(series))
	for _, value := range slices.Sorted(maps.Keys(series)) {
		parts = append(parts, fmt.Sprintf("%s: %d points", value, series[value]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
