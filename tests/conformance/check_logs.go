package main

// The Logs format over generated flow logs: the answer must be the frame Grafana's logs contract
// (dataplane "LogLines" 0.0) describes, decoded here with the SDK exactly as Grafana decodes it.
// Explore and the logs panel find the fields by name: a non-nullable time "timestamp", a
// non-nullable string "body", optional string "severity" and "id", and a JSON "labels" object;
// meta.type "log-lines" and preferredVisualisationType "logs" (without it Explore shows a table).

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

const (
	flowlogLogsCheck = "flowlog_logs"
	logsRefID        = "LOGS"
	formatLogs       = "logs"
	// Every flow record of the range, as a user of Explore writes it.
	flowlogLogsSQL = "SELECT * FROM FLOW_FLAT WHERE $__timeFilterColumn(start_time, string)"
)

var logsTypeVersion = data.FrameTypeVersion{0, 0}

// The level each action must get, so Explore colours rejected traffic.
var levelOfAction = map[string]string{"accepted": "info", "rejected": "warning"}

func checkFlowlogLogs(ctx context.Context, p *pluginUnderTest, in *flowlogInput) (string, error) {
	m := sqlQuery(logsRefID, flowlogLogsSQL, formatLogs)
	m.Datasource.UID = flowlogDatasourceUID
	responses, err := sendQueryData(ctx, p, &backend.QueryDataRequest{
		PluginContext: in.pluginContext(),
		Queries:       []backend.DataQuery{in.query(m)},
	})
	if err != nil {
		return "", err
	}
	res, err := okResponse(responses, logsRefID)
	if err != nil {
		return "", err
	}
	if len(res.Frames) != 1 {
		return "", fmt.Errorf("%d frames, want one log-lines frame", len(res.Frames))
	}
	frame := res.Frames[0]
	levels, err := requireLogLines(frame)
	if err != nil {
		return "", err
	}
	if in.LogLines != nil && frame.Rows() != *in.LogLines {
		return "", fmt.Errorf("%d log lines, want one per record in the range: %d", frame.Rows(), *in.LogLines)
	}
	return fmt.Sprintf("one log-lines frame (%s), %d lines, levels %v", fieldSummary(frame), frame.Rows(), levels), nil
}

// requireLogLines checks the frame against the logs contract and the flow-log line rules; it
// returns the number of lines per level.
func requireLogLines(frame *data.Frame) (map[string]int, error) {
	meta := frame.Meta
	if meta == nil || meta.Type != data.FrameTypeLogLines || meta.TypeVersion != logsTypeVersion {
		return nil, fmt.Errorf("meta %+v, want type %s typeVersion %s", meta, data.FrameTypeLogLines, logsTypeVersion)
	}
	if meta.PreferredVisualization != data.VisTypeLogs {
		return nil, fmt.Errorf("preferredVisualisationType %q, want %q", meta.PreferredVisualization, data.VisTypeLogs)
	}
	fields := map[string]data.FieldType{
		"timestamp": data.FieldTypeTime, "body": data.FieldTypeString, "severity": data.FieldTypeNullableString,
		"id": data.FieldTypeString, "labels": data.FieldTypeNullableJSON,
	}
	byName := map[string]*data.Field{}
	for name, want := range fields {
		field, err := fieldByName(frame, name)
		if err != nil {
			return nil, err
		}
		allowed := []data.FieldType{want, want.NonNullableType()}
		if name == "timestamp" || name == "body" { // the contract: non-nullable
			allowed = allowed[1:]
		}
		if err := requireFieldType(field, allowed...); err != nil {
			return nil, err
		}
		byName[name] = field
	}
	if frame.Rows() == 0 {
		return nil, fmt.Errorf("no log lines")
	}
	levels := map[string]int{}
	ids := map[string]bool{}
	for row := range frame.Rows() {
		level, err := requireLogLine(byName, row, ids)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", row, err)
		}
		levels[level]++
	}
	return levels, nil
}

func requireLogLine(fields map[string]*data.Field, row int, ids map[string]bool) (string, error) {
	if row > 0 {
		previous, _ := fields["timestamp"].At(row - 1).(time.Time)
		if current, _ := fields["timestamp"].At(row).(time.Time); current.Before(previous) {
			return "", fmt.Errorf("time %s before the previous line's %s", showValue(current), showValue(previous))
		}
	}
	id, _ := fields["id"].ConcreteAt(row)
	if text, _ := id.(string); text == "" || ids[text] {
		return "", fmt.Errorf("id %v is empty or repeats an earlier line's", id)
	}
	ids[fmt.Sprint(id)] = true
	raw, _ := fields["labels"].ConcreteAt(row)
	message, _ := raw.(json.RawMessage)
	var labels map[string]string
	if err := json.Unmarshal(message, &labels); err != nil {
		return "", fmt.Errorf("labels %s are not a JSON object of strings: %w", message, err)
	}
	action := labels["action"]
	level, _ := fields["severity"].ConcreteAt(row)
	if want, ok := levelOfAction[action]; !ok || level != want {
		return "", fmt.Errorf("labels %s with level %v, want an action of %v and its level", message, level, levelOfAction)
	}
	body, _ := fields["body"].At(row).(string)
	if verb := map[string]string{"accepted": "ACCEPT ", "rejected": "REJECT "}[action]; !strings.HasPrefix(body, verb) {
		return "", fmt.Errorf("body %q does not start with %q for action %s", body, verb, action)
	}
	return level.(string), nil
}
