package alerting

import (
	"errors"
	"fmt"
	"time"

	"github.com/grafana/dataplane/sdata"
	"github.com/grafana/dataplane/sdata/numeric"
	"github.com/grafana/dataplane/sdata/reader"
	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// FromResponse converts one refId's answer as server-side expressions do: an error stays an
// error, no frames is no data, typed frames (meta.type and a non-zero typeVersion that the
// dataplane readers accept) go through those readers, anything else through the untyped rules.
func FromResponse(dr backend.DataResponse) (Results, error) {
	if dr.Error != nil {
		return Results{}, dr.Error
	}
	frames := dr.Frames
	if len(frames) == 0 {
		return Results{NoData: true}, nil
	}
	if kind, ok := dataplaneKind(frames); ok {
		switch kind {
		case data.KindNumeric:
			return fromNumeric(frames)
		case data.KindTimeSeries:
			return fromTimeSeries(frames)
		}
	}
	return fromUntyped(frames)
}

func dataplaneKind(frames data.Frames) (data.FrameTypeKind, bool) {
	meta := frames[0].Meta
	if meta == nil || meta.Type == "" || meta.TypeVersion == (data.FrameTypeVersion{}) {
		return "", false
	}
	if _, err := reader.CanReadBasedOnMeta(frames); err != nil {
		var warning *sdata.VersionWarning
		if !errors.As(err, &warning) {
			return "", false
		}
	}
	return meta.Type.Kind(), true
}

// readCollection opens a dataplane collection of either kind the way Grafana's alerting does:
// validateData=true panics in sdata v0.0.9 for numeric kinds, and Grafana passes false too.
func readCollection[C interface{ NoData() bool }, R interface{ GetCollection(bool) (C, error) }](
	reader R, err error,
) (c C, noData bool, _ error) {
	if err != nil {
		return c, false, err
	}
	if c, err = reader.GetCollection(false); err != nil {
		return c, false, err
	}
	return c, c.NoData(), nil
}

func fromNumeric(frames data.Frames) (Results, error) {
	c, noData, err := readCollection[numeric.Collection](numeric.CollectionReaderFromFrames(frames))
	if err != nil || noData {
		return Results{NoData: noData}, err
	}
	out := Results{}
	for _, ref := range c.Refs {
		v, empty, err := ref.NullableFloat64Value()
		if err != nil {
			return Results{}, err
		}
		if empty {
			continue
		}
		out.Numbers = append(out.Numbers, Number{Labels: ref.GetLabels().Copy(), Value: v})
	}
	return out, nil
}

func fromTimeSeries(frames data.Frames) (Results, error) {
	c, noData, err := readCollection[timeseries.Collection](timeseries.CollectionReaderFromFrames(frames))
	if err != nil || noData {
		return Results{NoData: noData}, err
	}
	out := Results{}
	for _, ref := range c.Refs {
		n, err := ref.Len()
		if err != nil {
			return Results{}, err
		}
		s := Series{Labels: ref.GetLabels().Copy()}
		for i := range n {
			t, v, err := ref.NullableFloat64Point(i)
			if err != nil {
				return Results{}, err
			}
			s.Points = append(s.Points, Point{Time: t, Value: v})
		}
		out.Series = append(out.Series, s)
	}
	return out, nil
}

// fromUntyped: one frame without fields is no data; one frame with exactly one numeric field
// and only string fields besides is a number per row (strings become labels); otherwise every
// frame must be a wide time series and each value field is a series.
func fromUntyped(frames data.Frames) (Results, error) {
	if len(frames) == 1 && len(frames[0].Fields) == 0 {
		return Results{NoData: true}, nil
	}
	if len(frames) == 1 && isNumberTable(frames[0]) {
		return numberTable(frames[0])
	}
	out := Results{}
	for _, f := range frames {
		schema := f.TimeSeriesSchema()
		if schema.Type != data.TimeSeriesTypeWide {
			return Results{}, fmt.Errorf("frame %q is not a wide time series (input data must be a wide series, not %s)", f.Name, schema.Type)
		}
		timeField := f.Fields[schema.TimeIndex]
		for _, vi := range schema.ValueIndices {
			field := f.Fields[vi]
			s := Series{Labels: field.Labels.Copy()}
			for row := range field.Len() {
				raw, _ := timeField.ConcreteAt(row)
				t, ok := raw.(time.Time)
				if !ok {
					return Results{}, fmt.Errorf("frame %q: time at row %d is null", f.Name, row)
				}
				v, err := field.NullableFloatAt(row)
				if err != nil {
					return Results{}, err
				}
				s.Points = append(s.Points, Point{Time: t, Value: v})
			}
			out.Series = append(out.Series, s)
		}
	}
	return out, nil
}

func isNumberTable(f *data.Frame) bool {
	numbers := 0
	for _, field := range f.Fields {
		switch {
		case field.Type().Numeric():
			numbers++
		case field.Type() == data.FieldTypeString || field.Type() == data.FieldTypeNullableString:
		default:
			return false
		}
	}
	return numbers == 1
}

func numberTable(f *data.Frame) (Results, error) {
	out := Results{}
	rows, err := f.RowLen()
	if err != nil {
		return Results{}, err
	}
	for row := range rows {
		n := Number{Labels: data.Labels{}}
		for _, field := range f.Fields {
			if field.Type().Numeric() {
				v, err := field.NullableFloatAt(row)
				if err != nil {
					return Results{}, err
				}
				n.Value = v
				continue
			}
			if s, ok := field.ConcreteAt(row); ok {
				n.Labels[field.Name] = fmt.Sprint(s)
			}
		}
		out.Numbers = append(out.Numbers, n)
	}
	return out, nil
}
