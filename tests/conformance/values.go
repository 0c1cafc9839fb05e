package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// dataplaneVersion is the only typeVersion the dataplane readers in Grafana know.
var dataplaneVersion = data.FrameTypeVersion{0, 1}

func eitherNullability(t data.FieldType) []data.FieldType {
	return []data.FieldType{t, t.NullableType()}
}

func fieldByName(frame *data.Frame, name string) (*data.Field, error) {
	for _, f := range frame.Fields {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("frame has no field %q (fields: %s)", name, fieldSummary(frame))
}

// fieldSummary lists "name:type" pairs, for error messages.
func fieldSummary(frame *data.Frame) string {
	var b bytes.Buffer
	for i, f := range frame.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s:%s", f.Name, f.Type().ItemTypeString())
	}
	return b.String()
}

func requireFieldType(field *data.Field, allowed ...data.FieldType) error {
	if slices.Contains(allowed, field.Type()) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, t := range allowed {
		names[i] = t.ItemTypeString()
	}
	return fmt.Errorf("field %q has type %s, want one of %v", field.Name, field.Type().ItemTypeString(), names)
}

func requireFrameType(frame *data.Frame, want data.FrameType) error {
	if frame.Meta == nil {
		return fmt.Errorf("frame %q has no meta, want meta.type %s", frame.Name, want)
	}
	if frame.Meta.Type != want || frame.Meta.TypeVersion != dataplaneVersion {
		return fmt.Errorf("frame %q has meta.type %q typeVersion %s, want %q %s",
			frame.Name, frame.Meta.Type, frame.Meta.TypeVersion, want, dataplaneVersion)
	}
	return nil
}

// plainValue drops the pointer Grafana uses for values of nullable fields, so nullable and
// non-nullable fields compare alike; a null becomes untyped nil.
func plainValue(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer {
		return v
	}
	if rv.IsNil() {
		return nil
	}
	return rv.Elem().Interface()
}

// sameValue compares with the equality that matters to Grafana: instants to the nanosecond
// (time zones do not matter), JSON by meaning, anything else exactly (type included).
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.UnixNano() == w.UnixNano()
	case json.RawMessage:
		g, ok := got.(json.RawMessage)
		return ok && sameJSON(g, w)
	default:
		return reflect.DeepEqual(got, want)
	}
}

func sameJSON(a, b []byte) bool {
	var av, bv any
	if json.Unmarshal(a, &av) != nil || json.Unmarshal(b, &bv) != nil {
		return false
	}
	return reflect.DeepEqual(av, bv)
}

// showValue prints a value so that a failure message tells exactly what came back.
func showValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case time.Time:
		return fmt.Sprintf("%s (%d ns)", x.UTC().Format(time.RFC3339Nano), x.UnixNano())
	case json.RawMessage:
		return fmt.Sprintf("JSON %s", x)
	default:
		return fmt.Sprintf("%T %v", x, x)
	}
}

func requireValue(field *data.Field, row int, want any) error {
	if row >= field.Len() {
		return fmt.Errorf("field %q has %d rows, want a value at row %d", field.Name, field.Len(), row)
	}
	got := plainValue(field.At(row))
	if !sameValue(got, want) {
		return fmt.Errorf("field %q row %d is %s, want %s", field.Name, row, showValue(got), showValue(want))
	}
	return nil
}
