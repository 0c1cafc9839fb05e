package alerting

import (
	"math"
	"strconv"
	"testing"
)

// nan, inf and null stand for the special points of a series.
var (
	nan = ptr(math.NaN())
	inf = ptr(math.Inf(1))
)

func vals(vs ...*float64) []*float64 { return vs }

func TestReduceValues(t *testing.T) {
	strict, drop, replace := ReduceMode{}, ReduceMode{Mode: "dropNN"}, ReduceMode{Mode: "replaceNN", ReplaceWithValue: -1}
	cases := []struct {
		name    string
		reducer string
		mode    ReduceMode
		values  []*float64
		want    *float64 // nil = null; NaN compared as NaN
	}{
		{"sum", "sum", strict, vals(ptr(1), ptr(2), ptr(3)), ptr(6)},
		{"sum of nothing is 0", "sum", strict, vals(), ptr(0)},
		{"sum with a null is NaN", "sum", strict, vals(ptr(1), nil), nan},
		{"sum with NaN is NaN", "sum", strict, vals(ptr(1), nan), nan},
		{"sum keeps Inf", "sum", strict, vals(ptr(1), inf), inf},
		{"mean", "mean", strict, vals(ptr(1), ptr(2), ptr(6)), ptr(3)},
		{"mean of nothing is NaN", "mean", strict, vals(), nan},
		{"min", "min", strict, vals(ptr(4), ptr(-2), ptr(3)), ptr(-2)},
		{"max", "max", strict, vals(ptr(4), ptr(-2), ptr(3)), ptr(4)},
		{"max with a null is NaN", "max", strict, vals(ptr(4), nil), nan},
		{"max of nothing is NaN", "max", strict, vals(), nan},
		{"median odd", "median", strict, vals(ptr(9), ptr(1), ptr(5)), ptr(5)},
		{"median even", "median", strict, vals(ptr(4), ptr(1), ptr(2), ptr(3)), ptr(2.5)},
		{"count counts nulls", "count", strict, vals(ptr(1), nil, nan), ptr(3)},
		{"last", "last", strict, vals(ptr(1), ptr(7)), ptr(7)},
		{"last null stays null", "last", strict, vals(ptr(1), nil), nil},
		{"last of nothing is NaN", "last", strict, vals(), nan},
		{"dropNN sum drops null NaN Inf", "sum", drop, vals(ptr(1), nil, nan, inf, ptr(2)), ptr(3)},
		{"dropNN last skips a trailing null", "last", drop, vals(ptr(1), ptr(5), nil), ptr(5)},
		{"dropNN NaN result becomes null", "mean", drop, vals(nil, nan), nil},
		{"dropNN count counts real numbers", "count", drop, vals(ptr(1), nil, nan), ptr(1)},
		{"replaceNN replaces points", "sum", replace, vals(ptr(5), nil, nan), ptr(3)},
		{"replaceNN NaN result becomes the value", "max", replace, vals(), ptr(-1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ReduceValues(c.values, c.reducer, c.mode)
			if !sameValue(got, c.want) {
				t.Fatalf("got %s, want %s", show(got), show(c.want))
			}
		})
	}
}

func TestReduceNumbersAndNoData(t *testing.T) {
	in := Results{Numbers: []Number{{Labels: map[string]string{"a": "1"}, Value: nil}, {Labels: map[string]string{"a": "2"}, Value: ptr(4)}}}
	cases := []struct {
		name string
		in   Results
		mode ReduceMode
		want []*float64
	}{
		{"strict passes numbers through", in, ReduceMode{}, vals(nil, ptr(4))},
		{"dropNN drops a null number", in, ReduceMode{Mode: "dropNN"}, vals(ptr(4))},
		{"replaceNN replaces a null number", in, ReduceMode{Mode: "replaceNN", ReplaceWithValue: 9}, vals(ptr(9), ptr(4))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := Reduce(c.in, "last", c.mode)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Numbers) != len(c.want) {
				t.Fatalf("got %d numbers, want %d", len(out.Numbers), len(c.want))
			}
			for i, n := range out.Numbers {
				if !sameValue(n.Value, c.want[i]) {
					t.Errorf("number %d: got %s, want %s", i, show(n.Value), show(c.want[i]))
				}
			}
		})
	}
	if out, err := Reduce(Results{NoData: true}, "last", ReduceMode{}); err != nil || !out.NoData {
		t.Errorf("no data: got %+v, %v", out, err)
	}
	if _, err := Reduce(in, "p99", ReduceMode{}); err == nil {
		t.Error("an unknown reducer was accepted")
	}
	if _, err := Reduce(in, "last", ReduceMode{Mode: "dropAll"}); err == nil {
		t.Error("an unknown mode was accepted")
	}
}

func TestReduceSeriesKeepsLabels(t *testing.T) {
	in := Results{Series: []Series{{Labels: map[string]string{"target_ip": "10.0.0.5"}, Points: []Point{{Value: ptr(3)}, {Value: ptr(25)}}}}}
	out, err := Reduce(in, "last", ReduceMode{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Numbers) != 1 || out.Numbers[0].Labels["target_ip"] != "10.0.0.5" || *out.Numbers[0].Value != 25 {
		t.Fatalf("got %+v", out.Numbers)
	}
}

func sameValue(a, b *float64) bool {
	switch {
	case a == nil || b == nil:
		return a == nil && b == nil
	case math.IsNaN(*a) || math.IsNaN(*b):
		return math.IsNaN(*a) && math.IsNaN(*b)
	default:
		return *a == *b
	}
}

func show(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}
