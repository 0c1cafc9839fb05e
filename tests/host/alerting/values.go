// Package alerting evaluates a provisioned alert rule the way Grafana's unified alerting does for
// a backend datasource: the rule's datasource queries go to the plugin as alert queries (FromAlert
// and X-Cache-Skip headers), each answer is converted to numbers or series (dataplane readers for
// typed frames, Grafana's rules for untyped ones), the rule's own reduce and threshold expressions
// are applied, and every label set of the condition becomes one alert instance with its state.
package alerting

import (
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Point is one point of a series; a nil value is null.
type Point struct {
	Time  time.Time
	Value *float64
}

// Series is a time series with its labels.
type Series struct {
	Labels data.Labels
	Points []Point
}

// Number is a single value with its labels; a nil value is null.
type Number struct {
	Labels data.Labels
	Value  *float64
}

// Results is the value of one refId in an evaluation: no data, series or numbers.
type Results struct {
	NoData  bool
	Series  []Series
	Numbers []Number
}

func ptr(v float64) *float64 { return &v }
