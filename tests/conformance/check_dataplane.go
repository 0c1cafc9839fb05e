package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/grafana/dataplane/sdata/numeric"
	"github.com/grafana/dataplane/sdata/reader"
	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

const timeSeriesSQL = `SELECT * FROM VALUES ` +
	`(TIMESTAMP '2024-05-06 10:00:00.123456', "a", 1), ` +
	`(TIMESTAMP '2024-05-06 10:00:00.123456', "b", 2), ` +
	`(TIMESTAMP '2024-05-06 10:05:00', "a", 3) AS t(time, host, value)`

const numericSQL = `SELECT * FROM VALUES ("a", 1.5), ("b", 2.5) AS t(host, value)`

type point struct {
	time  time.Time
	value float64
}

// wantSeries maps each series' labels to its points, in time order.
var wantSeries = map[string][]point{
	"host=a": {{time.Unix(0, 1714989600123456000), 1}, {time.Unix(0, 1714989900000000000), 3}},
	"host=b": {{time.Unix(0, 1714989600123456000), 2}},
}

var wantNumbers = map[string]float64{"host=a": 1.5, "host=b": 2.5}

func checkTimeSeries(ctx context.Context, p *pluginUnderTest) (string, error) {
	q := sqlQuery("TS", timeSeriesSQL, formatTimeSeries)
	q.TimeColumn, q.MetricsColumn = "time", "host"
	res, err := singleResponse(ctx, p, q.dataQuery())
	if err != nil {
		return "", err
	}
	if len(res.Frames) != len(wantSeries) {
		return "", fmt.Errorf("got %d frames, want one per host (%d)", len(res.Frames), len(wantSeries))
	}
	seen := map[string]bool{}
	for _, frame := range res.Frames {
		labels, err := requireMultiSeriesFrame(frame)
		if err != nil {
			return "", err
		}
		seen[labels] = true
	}
	if len(seen) != len(wantSeries) {
		return "", fmt.Errorf("series labels %v, want %v", slices.Sorted(maps.Keys(seen)), slices.Sorted(maps.Keys(wantSeries)))
	}
	n, err := readTimeSeriesLikeSSE(res.Frames)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d timeseries-multi frames; dataplane reader found %d series", len(res.Frames), n), nil
}

// requireMultiSeriesFrame checks one timeseries-multi frame: a non-nullable time field and one
// float64 value field whose labels name a wanted series, with exactly that series' points.
// It returns the labels.
func requireMultiSeriesFrame(frame *data.Frame) (string, error) {
	if err := requireFrameType(frame, data.FrameTypeTimeSeriesMulti); err != nil {
		return "", err
	}
	timeField, valueField, err := splitTimeAndValue(frame)
	if err != nil {
		return "", err
	}
	// SSE's seriesCheckSelectTime: "Must have []time.Time field (no nullable time)".
	if err := requireFieldType(timeField, data.FieldTypeTime); err != nil {
		return "", err
	}
	if err := requireFieldType(valueField, eitherNullability(data.FieldTypeFloat64)...); err != nil {
		return "", err
	}
	labels := valueField.Labels.String()
	points, ok := wantSeries[labels]
	if !ok {
		return "", fmt.Errorf("value field labels are {%s}, want one of %v", labels, slices.Sorted(maps.Keys(wantSeries)))
	}
	if frame.Rows() != len(points) {
		return "", fmt.Errorf("series {%s} has %d points, want %d", labels, frame.Rows(), len(points))
	}
	var problems []error
	for row, pt := range points {
		problems = append(problems, requireValue(timeField, row, pt.time), requireValue(valueField, row, pt.value))
	}
	return labels, errors.Join(problems...)
}

// splitTimeAndValue wants exactly two fields, one of them a time (nullable or not), in any order.
func splitTimeAndValue(frame *data.Frame) (timeField, valueField *data.Field, err error) {
	if len(frame.Fields) == 2 {
		first, second := frame.Fields[0], frame.Fields[1]
		switch {
		case first.Type().Time() && !second.Type().Time():
			return first, second, nil
		case second.Type().Time() && !first.Type().Time():
			return second, first, nil
		}
	}
	return nil, nil, fmt.Errorf("frame has fields %s, want one time and one value field", fieldSummary(frame))
}

// readTimeSeriesLikeSSE reads the frames the way Grafana's server-side expressions do
// (pkg/expr/dataplane.go) and returns the number of series.
func readTimeSeriesLikeSSE(frames data.Frames) (int, error) {
	collection, err := collectTimeSeriesLikeSSE(frames)
	if err != nil {
		return 0, err
	}
	if len(collection.Refs) != len(wantSeries) {
		return 0, fmt.Errorf("dataplane reader found %d series, want %d", len(collection.Refs), len(wantSeries))
	}
	return len(collection.Refs), nil
}

// collectTimeSeriesLikeSSE is the reading half of readTimeSeriesLikeSSE: the frames must be
// timeseries-multi to the dataplane reader, which must collect them without error or warning.
func collectTimeSeriesLikeSSE(frames data.Frames) (timeseries.Collection, error) {
	kind, err := reader.CanReadBasedOnMeta(frames)
	if err != nil {
		return timeseries.Collection{}, fmt.Errorf("dataplane reader refuses the frames: %w", err)
	}
	if kind != data.FrameTypeTimeSeriesMulti {
		return timeseries.Collection{}, fmt.Errorf("dataplane reader sees %s, want %s", kind, data.FrameTypeTimeSeriesMulti)
	}
	tsReader, err := timeseries.CollectionReaderFromFrames(frames)
	if err != nil {
		return timeseries.Collection{}, fmt.Errorf("dataplane time series reader: %w", err)
	}
	collection, err := tsReader.GetCollection(false)
	if err != nil {
		return timeseries.Collection{}, fmt.Errorf("dataplane time series collection: %w", err)
	}
	if collection.Warning != nil {
		return timeseries.Collection{}, fmt.Errorf("dataplane time series warning: %w", collection.Warning)
	}
	return collection, nil
}

// checkNumeric asks for a table of labels and numbers as an alert rule does (FromAlert): that gets
// the numeric shape; a panel's table query gets a plain table frame (tests/query).
func checkNumeric(ctx context.Context, p *pluginUnderTest) (string, error) {
	responses, err := sendQueryData(ctx, p, &backend.QueryDataRequest{
		PluginContext: pluginContext(),
		Headers:       maps.Clone(alertHeaders),
		Queries:       []backend.DataQuery{sqlQuery("N", numericSQL, formatTable).dataQuery()},
	})
	if err != nil {
		return "", err
	}
	res, err := okResponse(responses, "N")
	if err != nil {
		return "", err
	}
	if len(res.Frames) != 1 {
		return "", fmt.Errorf("got %d frames, want 1", len(res.Frames))
	}
	if err := requireFrameType(res.Frames[0], data.FrameTypeNumericLong); err != nil {
		return "", err
	}
	numbers, err := readNumbersLikeSSE(res.Frames)
	if err != nil {
		return "", err
	}
	if !maps.Equal(numbers, wantNumbers) {
		return "", fmt.Errorf("dataplane numeric reader gives %v, want %v", numbers, wantNumbers)
	}
	return fmt.Sprintf("numeric-long; dataplane reader gives %v", numbers), nil
}

// readNumbersLikeSSE reads the frames the way Grafana's server-side expressions do and returns
// each number by its labels.
func readNumbersLikeSSE(frames data.Frames) (map[string]float64, error) {
	kind, err := reader.CanReadBasedOnMeta(frames)
	if err != nil {
		return nil, fmt.Errorf("dataplane reader refuses the frames: %w", err)
	}
	if kind.Kind() != data.KindNumeric {
		return nil, fmt.Errorf("dataplane reader sees %s, want a numeric kind", kind)
	}
	numReader, err := numeric.CollectionReaderFromFrames(frames)
	if err != nil {
		return nil, fmt.Errorf("dataplane numeric reader: %w", err)
	}
	collection, err := numReader.GetCollection(false)
	if err != nil {
		return nil, fmt.Errorf("dataplane numeric collection: %w", err)
	}
	if collection.Warning != nil {
		return nil, fmt.Errorf("dataplane numeric warning: %w", collection.Warning)
	}
	numbers := map[string]float64{}
	for _, ref := range collection.Refs {
		value, empty, err := ref.NullableFloat64Value()
		if err != nil || empty || value == nil {
			return nil, fmt.Errorf("number {%s} has no float value (empty %v, error %v)", ref.GetLabels(), empty, err)
		}
		numbers[ref.GetLabels().String()] = *value
	}
	return numbers, nil
}
