package alerting

import "fmt"

// Condition is the `evaluator` of a threshold condition.
type Condition struct {
	Type   string    `json:"type"`
	Params []float64 `json:"params"`
}

// thresholds: the comparison of each type and how many parameters it takes. NaN compares false
// everywhere (so `ne` alone is true for NaN).
var thresholds = map[string]struct {
	params int
	test   func(v float64, p []float64) bool
}{
	"gt":                     {1, func(v float64, p []float64) bool { return v > p[0] }},
	"lt":                     {1, func(v float64, p []float64) bool { return v < p[0] }},
	"gte":                    {1, func(v float64, p []float64) bool { return v >= p[0] }},
	"lte":                    {1, func(v float64, p []float64) bool { return v <= p[0] }},
	"eq":                     {1, func(v float64, p []float64) bool { return v == p[0] }},
	"ne":                     {1, func(v float64, p []float64) bool { return v != p[0] }},
	"within_range":           {2, func(v float64, p []float64) bool { return v > p[0] && v < p[1] }},
	"outside_range":          {2, func(v float64, p []float64) bool { return v < p[0] || v > p[1] }},
	"within_range_included":  {2, func(v float64, p []float64) bool { return v >= p[0] && v <= p[1] }},
	"outside_range_included": {2, func(v float64, p []float64) bool { return v <= p[0] || v >= p[1] }},
}

// Threshold maps every number to 1 (condition met) or 0; null stays null; no data stays no data.
func Threshold(in Results, ev Condition) (Results, error) {
	t, ok := thresholds[ev.Type]
	if !ok {
		return Results{}, fmt.Errorf("threshold type %q is unknown", ev.Type)
	}
	if len(ev.Params) != t.params {
		return Results{}, fmt.Errorf("threshold %s takes %d parameter(s), got %d", ev.Type, t.params, len(ev.Params))
	}
	if in.NoData {
		return in, nil
	}
	if len(in.Series) > 0 {
		return Results{}, fmt.Errorf("threshold over %d series: reduce them to numbers first", len(in.Series))
	}
	out := Results{}
	for _, n := range in.Numbers {
		var v *float64
		if n.Value != nil {
			v = ptr(0)
			if t.test(*n.Value, ev.Params) {
				v = ptr(1)
			}
		}
		out.Numbers = append(out.Numbers, Number{Labels: n.Labels.Copy(), Value: v})
	}
	return out, nil
}
