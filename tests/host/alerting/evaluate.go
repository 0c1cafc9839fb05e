package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/cloudsql-cos-ts/host/provisioning"
)

// ExpressionDatasource is the uid of server-side expressions in a rule's data.
const ExpressionDatasource = "__expr__"

// Grafana's alert-query defaults when the model does not say.
const (
	alertMaxDataPoints = 43200
	alertIntervalMs    = 1000
)

// Instance states.
const (
	StateNormal   = "Normal"
	StateAlerting = "Alerting"
	StateNoData   = "NoData"
	StateError    = "Error"
)

// QueryFunc sends one QueryData call for a datasource uid.
type QueryFunc func(ctx context.Context, uid string, queries []backend.DataQuery,
	headers map[string]string) (*backend.QueryDataResponse, error)

// Instance is one alert instance: the labels of one condition item and its state.
type Instance struct {
	Labels data.Labels `json:"labels"`
	State  string      `json:"state"`
	Value  *float64    `json:"value"`
}

// RuleResult is one evaluation of one rule.
type RuleResult struct {
	UID         string     `json:"uid"`
	Title       string     `json:"title"`
	EvaluatedAt int64      `json:"evaluatedAt"` // epoch ms: the "now" of the relative time ranges
	Error       string     `json:"error,omitempty"`
	Instances   []Instance `json:"instances"`
}

// Evaluator evaluates the provisioned rules against the plugin.
type Evaluator struct {
	Rules []provisioning.AlertRule
	Query QueryFunc
}

// EvaluateAll evaluates every rule once at `now`, as one scheduler tick would.
func (e *Evaluator) EvaluateAll(ctx context.Context, now time.Time) []RuleResult {
	out := make([]RuleResult, 0, len(e.Rules))
	for _, rule := range e.Rules {
		out = append(out, e.Evaluate(ctx, rule, now))
	}
	return out
}

// Evaluate runs the rule's queries and expressions and maps the condition to instances; an
// evaluation error gives one Error instance (then the rule's execErrState applies).
func (e *Evaluator) Evaluate(ctx context.Context, rule provisioning.AlertRule, now time.Time) RuleResult {
	result := RuleResult{UID: rule.UID, Title: rule.Title, EvaluatedAt: now.UnixMilli()}
	condition, err := e.condition(ctx, rule, now)
	if err != nil {
		result.Error = err.Error()
		result.Instances = []Instance{{Labels: data.Labels{}, State: StateError}}
	} else if result.Instances, err = Instances(condition); err != nil {
		result.Error = err.Error()
		result.Instances = []Instance{{Labels: data.Labels{}, State: StateError}}
	}
	for i := range result.Instances {
		result.Instances[i].State = applyRuleStates(result.Instances[i].State, rule)
	}
	return result
}

// condition computes every refId of the rule in order and returns the condition's value.
func (e *Evaluator) condition(ctx context.Context, rule provisioning.AlertRule, now time.Time) (Results, error) {
	vars, err := e.queryDatasources(ctx, rule, now)
	if err != nil {
		return Results{}, err
	}
	for _, q := range rule.Data {
		if q.DatasourceUID != ExpressionDatasource {
			continue
		}
		if vars[q.RefID], err = expression(q.Model, vars); err != nil {
			return Results{}, fmt.Errorf("expression %s: %w", q.RefID, err)
		}
	}
	cond, ok := vars[rule.Condition]
	if !ok {
		return Results{}, fmt.Errorf("condition %q is not a refId of the rule", rule.Condition)
	}
	return cond, nil
}

// queryDatasources sends the rule's datasource queries, one QueryData call per datasource, with
// the headers Grafana's alert evaluation sets.
func (e *Evaluator) queryDatasources(ctx context.Context, rule provisioning.AlertRule, now time.Time) (map[string]Results, error) {
	byUID := map[string][]backend.DataQuery{}
	var order []string
	for _, q := range rule.Data {
		if q.DatasourceUID == ExpressionDatasource {
			continue
		}
		dq, err := alertQuery(q, now)
		if err != nil {
			return nil, err
		}
		if _, seen := byUID[q.DatasourceUID]; !seen {
			order = append(order, q.DatasourceUID)
		}
		byUID[q.DatasourceUID] = append(byUID[q.DatasourceUID], dq)
	}
	headers := map[string]string{
		backend.FromAlertHeaderName: "true", "X-Cache-Skip": "true", "X-Rule-Uid": rule.UID, "X-Grafana-Org-Id": "1",
	}
	vars := map[string]Results{}
	for _, uid := range order {
		res, err := e.Query(ctx, uid, byUID[uid], headers)
		if err != nil {
			return nil, fmt.Errorf("datasource %s: %w", uid, err)
		}
		for _, q := range byUID[uid] {
			dr, ok := res.Responses[q.RefID]
			if !ok {
				vars[q.RefID] = Results{NoData: true}
				continue
			}
			if vars[q.RefID], err = FromResponse(dr); err != nil {
				return nil, fmt.Errorf("query %s: %w", q.RefID, err)
			}
		}
	}
	return vars, nil
}

// alertQuery is the QueryData query of one rule query: its model as JSON, its relative range.
func alertQuery(q provisioning.AlertQuery, now time.Time) (backend.DataQuery, error) {
	model := map[string]any{}
	for k, v := range q.Model {
		model[k] = v
	}
	model["refId"] = q.RefID
	raw, err := json.Marshal(model)
	if err != nil {
		return backend.DataQuery{}, err
	}
	number := func(key string, fallback int64) int64 {
		if v, ok := model[key].(int); ok && v > 0 {
			return int64(v)
		}
		if v, ok := model[key].(float64); ok && v > 0 {
			return int64(v)
		}
		return fallback
	}
	return backend.DataQuery{
		RefID:         q.RefID,
		MaxDataPoints: number("maxDataPoints", alertMaxDataPoints),
		Interval:      time.Duration(number("intervalMs", alertIntervalMs)) * time.Millisecond,
		TimeRange: backend.TimeRange{
			From: now.Add(-time.Duration(q.RelativeTimeRange.From) * time.Second),
			To:   now.Add(-time.Duration(q.RelativeTimeRange.To) * time.Second),
		},
		JSON: raw,
	}, nil
}

// expressionModel is the part of a reduce or threshold model the evaluation reads.
type expressionModel struct {
	Type       string `json:"type"`
	Expression string `json:"expression"`
	Reducer    string `json:"reducer"`
	Settings   struct {
		Mode             string  `json:"mode"`
		ReplaceWithValue float64 `json:"replaceWithValue"`
	} `json:"settings"`
	Conditions []struct {
		Evaluator Condition `json:"evaluator"`
	} `json:"conditions"`
}

// expression applies one server-side expression model to the values computed so far.
func expression(model map[string]any, vars map[string]Results) (Results, error) {
	raw, err := json.Marshal(model)
	if err != nil {
		return Results{}, err
	}
	var m expressionModel
	if err := json.Unmarshal(raw, &m); err != nil {
		return Results{}, err
	}
	input, ok := vars[strings.TrimPrefix(m.Expression, "$")]
	if !ok {
		return Results{}, fmt.Errorf("input %q is not computed before this expression", m.Expression)
	}
	switch m.Type {
	case "reduce":
		return Reduce(input, m.Reducer, ReduceMode{Mode: m.Settings.Mode, ReplaceWithValue: m.Settings.ReplaceWithValue})
	case "threshold":
		if len(m.Conditions) != 1 {
			return Results{}, fmt.Errorf("threshold needs exactly one condition, got %d", len(m.Conditions))
		}
		return Threshold(input, m.Conditions[0].Evaluator)
	default:
		return Results{}, fmt.Errorf("expression type %q is not supported by this host (reduce, threshold)", m.Type)
	}
}

// Instances maps the condition's value to one instance per label set: 0 is Normal, any other
// number (NaN too) Alerting, null NoData; no data is one NoData instance; series (not reduced)
// or two items with the same labels are an error.
func Instances(cond Results) ([]Instance, error) {
	if cond.NoData {
		return []Instance{{Labels: data.Labels{}, State: StateNoData}}, nil
	}
	if len(cond.Series) > 0 {
		return nil, fmt.Errorf("the condition is %d series, not numbers", len(cond.Series))
	}
	seen := map[string]bool{}
	out := make([]Instance, 0, len(cond.Numbers))
	for _, n := range cond.Numbers {
		key := n.Labels.String()
		if seen[key] {
			return nil, fmt.Errorf("two condition items have the labels %s", key)
		}
		seen[key] = true
		state := StateAlerting
		switch {
		case n.Value == nil:
			state = StateNoData
		case *n.Value == 0:
			state = StateNormal
		}
		out = append(out, Instance{Labels: n.Labels, State: state, Value: n.Value})
	}
	if len(out) == 0 {
		return []Instance{{Labels: data.Labels{}, State: StateNoData}}, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Labels.String() < out[j].Labels.String() })
	return out, nil
}

// applyRuleStates maps NoData and Error through the rule's noDataState and execErrState.
func applyRuleStates(state string, rule provisioning.AlertRule) string {
	mapped := map[string]string{"OK": StateNormal, "Alerting": StateAlerting, "NoData": StateNoData, "Error": StateError}
	switch state {
	case StateNoData:
		if s, ok := mapped[rule.NoDataState]; ok {
			return s
		}
	case StateError:
		if s, ok := mapped[rule.ExecErrState]; ok {
			return s
		}
	}
	return state
}
