package alerting

import (
	"fmt"
	"math"
	"slices"
)

// ReduceMode is the `settings.mode` of a reduce expression: "" is Grafana's strict default.
type ReduceMode struct {
	Mode             string  // "", "dropNN" or "replaceNN"
	ReplaceWithValue float64 // for replaceNN
}

// Reduce turns every series into one number with the named reducer; numbers pass through with
// the mode applied; no data stays no data. Labels are kept.
func Reduce(in Results, reducer string, mode ReduceMode) (Results, error) {
	if _, ok := reducers[reducer]; !ok {
		return Results{}, fmt.Errorf("reducer %q is not one of sum, mean, min, max, count, last, median", reducer)
	}
	switch mode.Mode {
	case "", "dropNN", "replaceNN":
	default:
		return Results{}, fmt.Errorf("reduce mode %q is not dropNN or replaceNN", mode.Mode)
	}
	if in.NoData {
		return in, nil
	}
	out := Results{}
	for _, s := range in.Series {
		values := make([]*float64, len(s.Points))
		for i, p := range s.Points {
			values[i] = p.Value
		}
		out.Numbers = append(out.Numbers, Number{Labels: s.Labels.Copy(), Value: ReduceValues(values, reducer, mode)})
	}
	for _, n := range in.Numbers {
		switch {
		case mode.Mode == "dropNN" && !isNumber(n.Value):
			continue
		case mode.Mode == "replaceNN" && !isNumber(n.Value):
			n.Value = ptr(mode.ReplaceWithValue)
		}
		out.Numbers = append(out.Numbers, Number{Labels: n.Labels.Copy(), Value: n.Value})
	}
	return out, nil
}

// isNumber: not null, not NaN, not infinite (what dropNN/replaceNN treat as a real value).
func isNumber(v *float64) bool {
	return v != nil && !math.IsNaN(*v) && !math.IsInf(*v, 0)
}

// ReduceValues reduces one series' values. Strict mode: sum/mean/min/max/median give NaN when a
// point is null or NaN; an empty series gives NaN except sum (0) and count (0); count counts every
// point; last is the last point as it is (null stays null). dropNN drops null/NaN/±Inf points
// first and turns a NaN result into null; replaceNN replaces them and turns NaN into the value.
func ReduceValues(values []*float64, reducer string, mode ReduceMode) *float64 {
	switch mode.Mode {
	case "dropNN":
		values = slices.DeleteFunc(slices.Clone(values), func(v *float64) bool { return !isNumber(v) })
	case "replaceNN":
		values = slices.Clone(values)
		for i, v := range values {
			if !isNumber(v) {
				values[i] = ptr(mode.ReplaceWithValue)
			}
		}
	}
	result := reducers[reducer](values)
	if result != nil && math.IsNaN(*result) {
		switch mode.Mode {
		case "dropNN":
			return nil
		case "replaceNN":
			return ptr(mode.ReplaceWithValue)
		}
	}
	return result
}

// strictFloats is the values as float64s, or false when one is null or NaN.
func strictFloats(values []*float64) ([]float64, bool) {
	out := make([]float64, len(values))
	for i, v := range values {
		if v == nil || math.IsNaN(*v) {
			return nil, false
		}
		out[i] = *v
	}
	return out, true
}

var reducers = map[string]func([]*float64) *float64{
	"sum": func(values []*float64) *float64 {
		fs, ok := strictFloats(values)
		if !ok {
			return ptr(math.NaN())
		}
		return ptr(sumOf(fs))
	},
	"mean":   orderStatistic(func(fs []float64) float64 { return sumOf(fs) / float64(len(fs)) }),
	"min":    orderStatistic(slices.Min[[]float64]),
	"max":    orderStatistic(slices.Max[[]float64]),
	"median": orderStatistic(median),
	"count":  func(values []*float64) *float64 { return ptr(float64(len(values))) },
	"last": func(values []*float64) *float64 {
		if len(values) == 0 {
			return ptr(math.NaN())
		}
		return values[len(values)-1]
	},
}

// orderStatistic wraps a reducer of a non-empty, all-numeric series with the strict rules.
func orderStatistic(of func([]float64) float64) func([]*float64) *float64 {
	return func(values []*float64) *float64 {
		fs, ok := strictFloats(values)
		if !ok || len(fs) == 0 {
			return ptr(math.NaN())
		}
		return ptr(of(fs))
	}
}

func sumOf(fs []float64) float64 {
	total := 0.0
	for _, f := range fs {
		total += f
	}
	return total
}

func median(fs []float64) float64 {
	sorted := slices.Sorted(slices.Values(fs))
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}
