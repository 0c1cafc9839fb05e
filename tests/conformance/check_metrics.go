package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	queriesTotal  = "cloudsql_cos_ts_queries_total"
	queryDuration = "cloudsql_cos_ts_query_duration_seconds"
)

func checkCollectMetrics(ctx context.Context, p *pluginUnderTest) (string, error) {
	protoResp, err := p.Diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{
		PluginContext: backend.ToProto().PluginContext(pluginContext()),
	})
	if err != nil {
		return "", fmt.Errorf("CollectMetrics call failed: %w", err)
	}
	text := backend.FromProto().CollectMetricsResponse(protoResp).PrometheusMetrics
	// Legacy (pre-UTF-8) name validation: what every Prometheus scraper accepts.
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return "", fmt.Errorf("not Prometheus text format: %w", err)
	}
	queries, err := requireFamily(families, queriesTotal, dto.MetricType_COUNTER)
	if err != nil {
		return "", err
	}
	counted, err := countByStatus(queries)
	if err != nil {
		return "", err
	}
	durations, err := requireFamily(families, queryDuration, dto.MetricType_HISTOGRAM)
	if err != nil {
		return "", err
	}
	observed := uint64(0)
	for _, m := range durations.GetMetric() {
		observed += m.GetHistogram().GetSampleCount()
	}
	// Earlier checks ran queries, so both metrics must have seen them.
	if total := sumValues(counted); total == 0 || observed == 0 {
		return "", fmt.Errorf("after several queries %s sums to %v and %s counts %d observations, want both > 0",
			queriesTotal, total, queryDuration, observed)
	}
	return fmt.Sprintf("%d families; %s by status %v; %s count %d", len(families), queriesTotal, counted, queryDuration, observed), nil
}

func requireFamily(families map[string]*dto.MetricFamily, name string, kind dto.MetricType) (*dto.MetricFamily, error) {
	family, ok := families[name]
	if !ok {
		return nil, fmt.Errorf("no metric family %s", name)
	}
	if family.GetType() != kind {
		return nil, fmt.Errorf("%s is a %s, want %s", name, family.GetType(), kind)
	}
	return family, nil
}

// countByStatus sums the counter per status label, insisting that every sample has one.
func countByStatus(family *dto.MetricFamily) (map[string]float64, error) {
	if len(family.GetMetric()) == 0 {
		return nil, fmt.Errorf("%s has no samples", family.GetName())
	}
	counts := map[string]float64{}
	for _, m := range family.GetMetric() {
		i := slices.IndexFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == "status" })
		if i < 0 {
			return nil, fmt.Errorf("%s sample %v has no status label", family.GetName(), m.GetLabel())
		}
		counts[m.GetLabel()[i].GetValue()] += m.GetCounter().GetValue()
	}
	return counts, nil
}

func sumValues(counts map[string]float64) float64 {
	total := 0.0
	for _, v := range counts {
		total += v
	}
	return total
}
