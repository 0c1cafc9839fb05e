package main

// Tests of the decode mode: frames written by the SDK's own Arrow writer must come back with
// their types, values, labels, config and meta; files Grafana cannot decode must be reported.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

func writeFile(t *testing.T, dir, name string, content []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeFrame(t *testing.T, dir, name string, frame *data.Frame) {
	t.Helper()
	encoded, err := frame.MarshalArrow()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, name, encoded)
}

// decodeLines runs the decode mode over dir and returns its lines by file name.
func decodeLines(t *testing.T, dir string) (map[string]map[string]any, bool) {
	t.Helper()
	var out bytes.Buffer
	allOK, err := decodeDir(dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		record, err := exactJSON([]byte(line))
		if err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		object, _ := record.(map[string]any)
		lines[fmt.Sprint(object["file"])] = object
	}
	return lines, allOK
}

// exactJSON parses JSON keeping numbers as their text, so big integers compare exactly.
func exactJSON(b []byte) (any, error) {
	decoder := json.NewDecoder(bytes.NewReader(b))
	decoder.UseNumber()
	var v any
	err := decoder.Decode(&v)
	return v, err
}

func conformantDecodeFrame() *data.Frame {
	dec, null := 2.5, (*string)(nil)
	day := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	value := data.NewField("value", data.Labels{"host": "a"}, []float64{1.5, math.NaN()})
	value.Config = &data.FieldConfig{Unit: "ms", DisplayNameFromDS: "a"}
	frame := data.NewFrame("frame",
		data.NewField("time", nil, []time.Time{time.Unix(0, 1714989600123456789), day}),
		value,
		data.NewField("dec", nil, []*float64{&dec, nil}),
		data.NewField("d", nil, []*time.Time{&day, nil}),
		data.NewField("ns", nil, []*string{null, null}),
		data.NewField("u", nil, []uint16{7, math.MaxUint16}),
		data.NewField("big", nil, []uint64{math.MaxUint64, 0}),
		data.NewField("arr", nil, []*json.RawMessage{ptr(json.RawMessage(`[1, 2]`)), nil}),
	)
	frame.RefID = "A"
	return frame.SetMeta(&data.FrameMeta{
		Type:                data.FrameTypeTimeSeriesWide,
		TypeVersion:         dataplaneVersion,
		ExecutedQueryString: "SELECT 1",
		Notices:             []data.Notice{{Severity: data.NoticeSeverityWarning, Text: "dropped 1 row"}},
	})
}

func ptr[T any](v T) *T { return &v }

func TestDecodeModeReportsWhatGrafanaSees(t *testing.T) {
	dir := t.TempDir()
	writeFrame(t, dir, "good.arrow", conformantDecodeFrame())
	writeFile(t, dir, "notes.txt", []byte("not a frame, not read"))
	lines, allOK := decodeLines(t, dir)
	if !allOK || len(lines) != 1 {
		t.Fatalf("want one decoded file, got ok=%v lines %v", allOK, lines)
	}
	got, err := json.Marshal(lines["good.arrow"])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"browserJsonError":"","error":"","fields":[` +
		`{"config":null,"labels":{},"name":"time","nullable":false,"type":"[]time.Time",` +
		`"values":["2024-05-06T10:00:00.123456789Z","2024-05-06T00:00:00Z"]},` +
		`{"config":{"displayNameFromDS":"a","unit":"ms"},"labels":{"host":"a"},"name":"value","nullable":false,` +
		`"type":"[]float64","values":[1.5,"NaN"]},` +
		`{"config":null,"labels":{},"name":"dec","nullable":true,"type":"[]*float64","values":[2.5,null]},` +
		`{"config":null,"labels":{},"name":"d","nullable":true,"type":"[]*time.Time","values":["2024-05-06T00:00:00Z",null]},` +
		`{"config":null,"labels":{},"name":"ns","nullable":true,"type":"[]*string","values":[null,null]},` +
		`{"config":null,"labels":{},"name":"u","nullable":false,"type":"[]uint16","values":[7,65535]},` +
		`{"config":null,"labels":{},"name":"big","nullable":false,"type":"[]uint64","values":[18446744073709551615,0]},` +
		`{"config":null,"labels":{},"name":"arr","nullable":true,"type":"[]*json.RawMessage","values":[[1,2],null]}],` +
		`"file":"good.arrow",` +
		`"meta":{"executedQueryString":"SELECT 1","notices":[{"severity":"warning","text":"dropped 1 row"}],` +
		`"type":"timeseries-wide","typeVersion":[0,1]},"name":"frame","ok":true,"refId":"A"}`
	gotValue, _ := exactJSON(got)
	wantValue, err := exactJSON([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotValue, wantValue) {
		t.Errorf("decoded line\n%s\nwant\n%s", got, want)
	}
}

func TestDecodeModeReportsFilesGrafanaRejects(t *testing.T) {
	dir := t.TempDir()
	good, err := answerFrame().MarshalArrow()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "a_good.arrow", good)
	writeFile(t, dir, "b_truncated.arrow", good[:len(good)/2])
	writeFile(t, dir, "c_garbage.arrow", []byte("hello"))
	writeFrame(t, dir, "d_bad_json.arrow", data.NewFrame("", data.NewField("j", nil, []json.RawMessage{json.RawMessage("{nope")})))

	lines, allOK := decodeLines(t, dir)
	if allOK {
		t.Error("decodeDir reported every file ok")
	}
	if len(lines) != 4 {
		t.Fatalf("want 4 lines, got %v", lines)
	}
	if line := lines["a_good.arrow"]; line["ok"] != true {
		t.Errorf("a_good.arrow: %v", line)
	}
	for _, name := range []string{"b_truncated.arrow", "c_garbage.arrow", "d_bad_json.arrow"} {
		line := lines[name]
		if line["ok"] != false || line["error"] == "" || line["fields"] != nil {
			t.Errorf("%s: want ok false, an error and no fields, got %v", name, line)
		}
	}
	if msg, _ := lines["d_bad_json.arrow"]["error"].(string); !strings.Contains(msg, "not valid JSON") {
		t.Errorf("invalid JSON value reported as %q", msg)
	}
}

func TestDecodeModeNeedsAFolder(t *testing.T) {
	if _, err := decodeDir(filepath.Join(t.TempDir(), "missing"), &bytes.Buffer{}); err == nil {
		t.Error("a missing folder was accepted")
	}
}

func TestJSONValue(t *testing.T) {
	cases := []struct {
		value any
		want  string
	}{
		{ptr(int8(-3)), `-3`},
		{(*int64)(nil), `null`},
		{float32(0.1), `0.1`},
		{math.Inf(-1), `"-Inf"`},
		{ptr(time.Date(2024, 5, 6, 12, 0, 0, 5, time.FixedZone("CEST", 7200))), `"2024-05-06T10:00:00.000000005Z"`},
		{json.RawMessage(`{"a": [1]}`), `{"a": [1]}`},
		{data.EnumItemIndex(2), `2`},
	}
	for _, tc := range cases {
		got, err := jsonValue(tc.value)
		if err != nil || string(got) != tc.want {
			t.Errorf("jsonValue(%#v) = %s, %v; want %s", tc.value, got, err, tc.want)
		}
	}
}
