package main

// Decode mode (-decode DIR): reads every *.arrow file in DIR, each one frame as the plugin's
// encoder writes it, with data.UnmarshalArrowFrame (the function Grafana decodes every frame of
// a QueryData response with) and prints one JSON line per file with what Grafana sees.

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// decodedFile is one output line. Error is empty when OK; BrowserJSONError is the failure of
// the next step Grafana takes (the JSON data frame sent to the browser), empty when fine.
type decodedFile struct {
	File             string          `json:"file"`
	OK               bool            `json:"ok"`
	Error            string          `json:"error"`
	Name             string          `json:"name"`
	RefID            string          `json:"refId"`
	Meta             *data.FrameMeta `json:"meta"`
	Fields           []decodedField  `json:"fields"`
	BrowserJSONError string          `json:"browserJsonError"`
}

// decodedField: Type is the SDK field type as Go spells it ("[]*float64"), Values one JSON
// value per row (null for a nil pointer, RFC 3339 nanosecond UTC text for a time, the raw
// document for json.RawMessage, "NaN"/"+Inf"/"-Inf" for floats JSON cannot hold).
type decodedField struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Nullable bool              `json:"nullable"`
	Labels   data.Labels       `json:"labels"`
	Config   *data.FieldConfig `json:"config"`
	Values   []json.RawMessage `json:"values"`
}

// decodeDir writes one line per *.arrow file of dir, in name order, and reports whether every
// file decoded; the error is for a directory that cannot be listed.
func decodeDir(dir string, w io.Writer) (allOK bool, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".arrow") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	out := json.NewEncoder(w)
	allOK = true
	for _, name := range names {
		line := decodeFile(filepath.Join(dir, name))
		line.File = name
		allOK = allOK && line.OK
		if err := out.Encode(line); err != nil {
			return false, fmt.Errorf("writing the line of %s: %w", name, err)
		}
	}
	return allOK, nil
}

func decodeFile(path string) decodedFile {
	raw, err := os.ReadFile(path)
	if err != nil {
		return decodedFile{Error: err.Error()}
	}
	frame, err := data.UnmarshalArrowFrame(raw)
	if err != nil {
		return decodedFile{Error: err.Error()}
	}
	fields, err := describeFields(frame)
	if err != nil {
		return decodedFile{Error: err.Error()}
	}
	return decodedFile{
		OK:               true,
		Name:             frame.Name,
		RefID:            frame.RefID,
		Meta:             frame.Meta,
		Fields:           fields,
		BrowserJSONError: browserJSONError(frame),
	}
}

func describeFields(frame *data.Frame) ([]decodedField, error) {
	fields := make([]decodedField, 0, len(frame.Fields))
	for _, f := range frame.Fields {
		values := make([]json.RawMessage, f.Len())
		for row := range values {
			v, err := jsonValue(f.At(row))
			if err != nil {
				return nil, fmt.Errorf("field %q row %d: %w", f.Name, row, err)
			}
			values[row] = v
		}
		fields = append(fields, decodedField{
			Name:     f.Name,
			Type:     "[]" + f.Type().ItemTypeString(),
			Nullable: f.Nullable(),
			Labels:   f.Labels,
			Config:   f.Config,
			Values:   values,
		})
	}
	return fields, nil
}

// jsonValue encodes one value of a field, dropping the pointer of nullable fields.
func jsonValue(v any) (json.RawMessage, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return json.RawMessage("null"), nil
		}
		v = rv.Elem().Interface()
	}
	switch x := v.(type) {
	case time.Time:
		return json.Marshal(x.UTC().Format(time.RFC3339Nano))
	case json.RawMessage:
		if !json.Valid(x) {
			return nil, fmt.Errorf("JSON value is not valid JSON: %q", []byte(x))
		}
		return x, nil
	case float64:
		return floatJSON(x, 64)
	case float32:
		return floatJSON(float64(x), 32)
	default:
		return json.Marshal(x)
	}
}

func floatJSON(f float64, bits int) (json.RawMessage, error) {
	switch {
	case math.IsNaN(f):
		return json.Marshal("NaN")
	case math.IsInf(f, 1):
		return json.Marshal("+Inf")
	case math.IsInf(f, -1):
		return json.Marshal("-Inf")
	case bits == 32:
		return json.Marshal(float32(f))
	default:
		return json.Marshal(f)
	}
}

// browserJSONError is why the frame could not become the JSON Grafana sends to the browser.
func browserJSONError(frame *data.Frame) string {
	encoded, err := data.FrameToJSON(frame, data.IncludeAll)
	if err != nil {
		return err.Error()
	}
	if !json.Valid(encoded) {
		return "the frame's JSON for the browser is not valid JSON"
	}
	return ""
}
