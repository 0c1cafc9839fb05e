package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Every Spark-SQL type the plugin must coerce into something Grafana's Arrow decoder reads.
const coercionSQL = `SELECT 1 AS i, CAST(2.5 AS DECIMAL(10,2)) AS dec, DATE '2024-05-06' AS d, "x" AS s, ` +
	`true AS b, CAST(NULL AS STRING) AS ns, array(1, 2) AS arr, named_struct("a", 1) AS st, ` +
	`map("k", 1) AS m, TIMESTAMP '2024-05-06 10:00:00.123456' AS ts`

type columnWant struct {
	name  string
	types []data.FieldType
	value any
}

// coercionColumns is the frame Grafana must see for coercionSQL, in column order. Decimal and
// date become nullable float64 and time; nested values become JSON; the timestamp keeps its
// microseconds.
var coercionColumns = []columnWant{
	{"i", eitherNullability(data.FieldTypeInt32), int32(1)},
	{"dec", []data.FieldType{data.FieldTypeNullableFloat64}, 2.5},
	{"d", []data.FieldType{data.FieldTypeNullableTime}, time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)},
	{"s", eitherNullability(data.FieldTypeString), "x"},
	{"b", eitherNullability(data.FieldTypeBool), true},
	{"ns", []data.FieldType{data.FieldTypeNullableString}, nil},
	{"arr", eitherNullability(data.FieldTypeJSON), json.RawMessage(`[1,2]`)},
	{"st", eitherNullability(data.FieldTypeJSON), json.RawMessage(`{"a":1}`)},
	{"m", eitherNullability(data.FieldTypeJSON), json.RawMessage(`{"k":1}`)},
	{"ts", eitherNullability(data.FieldTypeTime), time.Unix(0, 1714989600123456000)},
}

func checkTableCoercions(ctx context.Context, p *pluginUnderTest) (string, error) {
	res, err := singleResponse(ctx, p, sqlQuery("T", coercionSQL, formatTable).dataQuery())
	if err != nil {
		return "", err
	}
	if len(res.Frames) != 1 {
		return "", fmt.Errorf("got %d frames, want 1", len(res.Frames))
	}
	frame := res.Frames[0]
	if frame.RefID != "T" {
		return "", fmt.Errorf("frame refId is %q, want T", frame.RefID)
	}
	if frame.Meta == nil || frame.Meta.ExecutedQueryString == "" {
		return "", errors.New("frame meta.executedQueryString is empty")
	}
	if err := requireColumns(frame, coercionColumns); err != nil {
		return "", err
	}
	return fmt.Sprintf("fields %s", fieldSummary(frame)), nil
}

// requireColumns wants exactly these fields, in this order, with one row of these values.
func requireColumns(frame *data.Frame, want []columnWant) error {
	if len(frame.Fields) != len(want) {
		return fmt.Errorf("frame has fields %s, want %d fields", fieldSummary(frame), len(want))
	}
	var problems []error
	for i, col := range want {
		field := frame.Fields[i]
		if field.Name != col.name {
			problems = append(problems, fmt.Errorf("field %d is %q, want %q", i, field.Name, col.name))
			continue
		}
		if err := requireFieldType(field, col.types...); err != nil {
			problems = append(problems, err)
			continue
		}
		if field.Len() != 1 {
			problems = append(problems, fmt.Errorf("field %q has %d rows, want 1", field.Name, field.Len()))
			continue
		}
		problems = append(problems, requireValue(field, 0, col.value))
	}
	return errors.Join(problems...)
}
