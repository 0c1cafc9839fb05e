package alerting

import "testing"

func TestThreshold(t *testing.T) {
	cases := []struct {
		typ    string
		params []float64
		value  *float64
		want   *float64 // 1 met, 0 not met, nil null
	}{
		{"gt", []float64{20}, ptr(21), ptr(1)},
		{"gt", []float64{20}, ptr(20), ptr(0)},
		{"gt", []float64{20}, nan, ptr(0)},
		{"gt", []float64{20}, nil, nil},
		{"lt", []float64{5}, ptr(4), ptr(1)},
		{"lt", []float64{5}, ptr(5), ptr(0)},
		{"gte", []float64{5}, ptr(5), ptr(1)},
		{"lte", []float64{5}, ptr(6), ptr(0)},
		{"eq", []float64{5}, ptr(5), ptr(1)},
		{"eq", []float64{5}, nan, ptr(0)},
		{"ne", []float64{5}, ptr(5), ptr(0)},
		{"ne", []float64{5}, nan, ptr(1)},
		{"within_range", []float64{1, 5}, ptr(5), ptr(0)},
		{"within_range", []float64{1, 5}, ptr(3), ptr(1)},
		{"within_range_included", []float64{1, 5}, ptr(5), ptr(1)},
		{"outside_range", []float64{1, 5}, ptr(1), ptr(0)},
		{"outside_range", []float64{1, 5}, ptr(6), ptr(1)},
		{"outside_range_included", []float64{1, 5}, ptr(1), ptr(1)},
		{"outside_range_included", []float64{1, 5}, ptr(3), ptr(0)},
	}
	for _, c := range cases {
		t.Run(c.typ+" "+show(c.value), func(t *testing.T) {
			out, err := Threshold(Results{Numbers: []Number{{Labels: map[string]string{"x": "y"}, Value: c.value}}},
				Condition{Type: c.typ, Params: c.params})
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Numbers[0].Value; !sameValue(got, c.want) {
				t.Fatalf("got %s, want %s", show(got), show(c.want))
			}
			if out.Numbers[0].Labels["x"] != "y" {
				t.Fatal("labels were not kept")
			}
		})
	}
}

func TestThresholdRefuses(t *testing.T) {
	numbers := Results{Numbers: []Number{{Value: ptr(1)}}}
	cases := []struct {
		name string
		in   Results
		cond Condition
	}{
		{"unknown type", numbers, Condition{Type: "above", Params: []float64{1}}},
		{"one param for a range", numbers, Condition{Type: "within_range", Params: []float64{1}}},
		{"two params for gt", numbers, Condition{Type: "gt", Params: []float64{1, 2}}},
		{"series, not numbers", Results{Series: []Series{{}}}, Condition{Type: "gt", Params: []float64{1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Threshold(c.in, c.cond); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
