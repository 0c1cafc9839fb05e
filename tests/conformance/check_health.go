package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

// healthStage is one entry of our plugin's jsonDetails.stages.
type healthStage struct {
	Name   *string  `json:"name"`
	Status *string  `json:"status"`
	MS     *float64 `json:"ms"`
	Detail *string  `json:"detail"`
}

func checkHealth(ctx context.Context, p *pluginUnderTest) (string, error) {
	protoResp, err := p.Diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{
		PluginContext: backend.ToProto().PluginContext(pluginContext()),
	})
	if err != nil {
		return "", fmt.Errorf("CheckHealth call failed: %w", err)
	}
	res := backend.FromProto().CheckHealthResponse(protoResp)
	if res.Status != backend.HealthStatusOk {
		return "", fmt.Errorf("status %s, want OK (message %q)", res.Status, res.Message)
	}
	stages, err := decodeHealthStages(res.JSONDetails)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("OK, message %q, %d stages", res.Message, len(stages)), nil
}

// decodeHealthStages applies Grafana's rule (jsonDetails must be a JSON object, else HTTP 500
// "Failed to unmarshal detailed response") and then our own: a stages array of complete objects.
func decodeHealthStages(raw []byte) ([]healthStage, error) {
	var details struct {
		Stages *[]healthStage `json:"stages"`
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(raw, &object); err != nil || object == nil {
		return nil, fmt.Errorf("jsonDetails is not a JSON object: %q", raw)
	}
	if err := json.Unmarshal(raw, &details); err != nil {
		return nil, fmt.Errorf("jsonDetails.stages is not an array of stage objects: %w", err)
	}
	if details.Stages == nil || len(*details.Stages) == 0 {
		return nil, fmt.Errorf("jsonDetails has no non-empty stages array: %s", raw)
	}
	for i, s := range *details.Stages {
		if s.Name == nil || s.Status == nil || s.MS == nil || s.Detail == nil {
			return nil, fmt.Errorf("stage %d lacks one of name, status, ms, detail: %s", i, raw)
		}
	}
	return *details.Stages, nil
}
