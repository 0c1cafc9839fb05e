package alerting

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/cloudsql-cos-ts/host/provisioning"
)

var t0 = time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)

// multiFrame is one timeseries-multi frame (what the plugin answers for format time_series).
func multiFrame(labels data.Labels, values ...float64) *data.Frame {
	times := make([]time.Time, len(values))
	for i := range values {
		times[i] = t0.Add(time.Duration(i) * 5 * time.Minute)
	}
	f := data.NewFrame("", data.NewField("time", nil, times), data.NewField("rejected", labels, values))
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
	return f
}

func TestFromResponse(t *testing.T) {
	numericLong := data.NewFrame("", data.NewField("host", nil, []string{"a", "b"}), data.NewField("v", nil, []float64{1.5, 2.5}))
	numericLong.Meta = &data.FrameMeta{Type: data.FrameTypeNumericLong, TypeVersion: data.FrameTypeVersion{0, 1}}
	untypedWide := data.NewFrame("", data.NewField("time", nil, []time.Time{t0, t0.Add(time.Minute)}),
		data.NewField("v", data.Labels{"host": "a"}, []float64{1, 2}))
	untypedLong := data.NewFrame("", data.NewField("time", nil, []time.Time{t0, t0}),
		data.NewField("host", nil, []string{"a", "b"}), data.NewField("v", nil, []float64{1, 2}))
	cases := []struct {
		name    string
		dr      backend.DataResponse
		noData  bool
		series  int
		numbers map[string]float64 // labels string -> value
		wantErr bool
	}{
		{"error", backend.DataResponse{Error: errors.New("bad")}, false, 0, nil, true},
		{"no frames", backend.DataResponse{}, true, 0, nil, false},
		{"typed multi series", backend.DataResponse{Frames: data.Frames{multiFrame(data.Labels{"t": "1"}, 1, 2), multiFrame(data.Labels{"t": "2"}, 3)}}, false, 2, nil, false},
		{"typed numeric long", backend.DataResponse{Frames: data.Frames{numericLong}}, false, 0, map[string]float64{"host=a": 1.5, "host=b": 2.5}, false},
		{"untyped number table", backend.DataResponse{Frames: data.Frames{data.NewFrame("", data.NewField("host", nil, []string{"a"}), data.NewField("v", nil, []int64{7}))}}, false, 0, map[string]float64{"host=a": 7}, false},
		{"untyped empty frame", backend.DataResponse{Frames: data.Frames{data.NewFrame("")}}, true, 0, nil, false},
		{"untyped wide series", backend.DataResponse{Frames: data.Frames{untypedWide}}, false, 1, nil, false},
		{"untyped long series is an error", backend.DataResponse{Frames: data.Frames{untypedLong}}, false, 0, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FromResponse(c.dr)
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want error %v", err, c.wantErr)
			}
			if got.NoData != c.noData || len(got.Series) != c.series {
				t.Fatalf("got noData=%v series=%d", got.NoData, len(got.Series))
			}
			numbers := map[string]float64{}
			for _, n := range got.Numbers {
				numbers[n.Labels.String()] = *n.Value
			}
			if len(numbers) != len(c.numbers) {
				t.Fatalf("numbers %v, want %v", numbers, c.numbers)
			}
			for k, v := range c.numbers {
				if numbers[k] != v {
					t.Fatalf("numbers %v, want %v", numbers, c.numbers)
				}
			}
		})
	}
}

// shippedRule is the alert rule the project ships, read as the host provisions it.
func shippedRule(t *testing.T) provisioning.AlertRule {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "alerting"), 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../../content/provisioning/alerting/rejected-connections.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerting", "rule.yaml"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := provisioning.Load(dir, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.AlertRules) != 1 {
		t.Fatalf("%d rules", len(f.AlertRules))
	}
	return f.AlertRules[0]
}

func TestEvaluateShippedRule(t *testing.T) {
	rule := shippedRule(t)
	now := t0.Add(time.Hour)
	cases := []struct {
		name   string
		answer backend.DataResponse
		err    error
		want   map[string]string // labels -> state
	}{
		{"last bucket over 20 fires, others normal", backend.DataResponse{Frames: data.Frames{
			multiFrame(data.Labels{"target_ip": "10.0.0.5"}, 3, 40),
			multiFrame(data.Labels{"target_ip": "10.0.0.6"}, 40, 3),
			multiFrame(data.Labels{"target_ip": "10.0.0.7"}, 20),
		}}, nil, map[string]string{"target_ip=10.0.0.5": StateAlerting, "target_ip=10.0.0.6": StateNormal, "target_ip=10.0.0.7": StateNormal}},
		{"no data maps to OK (noDataState)", backend.DataResponse{}, nil, map[string]string{"": StateNormal}},
		{"a query error is Error (execErrState)", backend.DataResponse{Error: errors.New("boom")}, nil, map[string]string{"": StateError}},
		{"a failed call is Error", backend.DataResponse{}, errors.New("plugin unavailable"), map[string]string{"": StateError}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var sent *backend.DataQuery
			var sentHeaders map[string]string
			e := &Evaluator{Rules: []provisioning.AlertRule{rule}, Query: func(_ context.Context, uid string, qs []backend.DataQuery, h map[string]string) (*backend.QueryDataResponse, error) {
				if uid != "vpc-flow-logs" || len(qs) != 1 {
					t.Fatalf("uid %s, %d queries", uid, len(qs))
				}
				sent, sentHeaders = &qs[0], h
				if c.err != nil {
					return nil, c.err
				}
				return &backend.QueryDataResponse{Responses: backend.Responses{"A": c.answer}}, nil
			}}
			results := e.EvaluateAll(context.Background(), now)
			got := map[string]string{}
			for _, i := range results[0].Instances {
				got[i.Labels.String()] = i.State
			}
			if len(got) != len(c.want) {
				t.Fatalf("states %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Fatalf("states %v, want %v", got, c.want)
				}
			}
			if sentHeaders["FromAlert"] != "true" || sentHeaders["X-Cache-Skip"] != "true" {
				t.Errorf("headers %v", sentHeaders)
			}
			if !sent.TimeRange.From.Equal(now.Add(-30*time.Minute)) || !sent.TimeRange.To.Equal(now) {
				t.Errorf("time range %v", sent.TimeRange)
			}
			if sent.MaxDataPoints != 43200 || sent.Interval != time.Minute {
				t.Errorf("maxDataPoints %d interval %s", sent.MaxDataPoints, sent.Interval)
			}
		})
	}
}

func TestInstancesRefusesDuplicateLabels(t *testing.T) {
	same := data.Labels{"target_ip": "10.0.0.5"}
	if _, err := Instances(Results{Numbers: []Number{{Labels: same, Value: ptr(1)}, {Labels: same, Value: ptr(0)}}}); err == nil {
		t.Fatal("duplicate label sets were accepted")
	}
}
