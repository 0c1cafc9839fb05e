package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// resourceAnswer is a CallResource stream put together the way Grafana's flushStream does:
// status and headers from the first message, the body from all of them.
type resourceAnswer struct {
	status int
	body   []byte
}

func callResource(ctx context.Context, p *pluginUnderTest, method, path string) (resourceAnswer, error) {
	req := backend.ToProto().CallResourceRequest(&backend.CallResourceRequest{
		PluginContext: pluginContext(),
		Path:          path,
		Method:        method,
		URL:           path,
		Headers:       map[string][]string{"Accept": {"application/json"}},
	})
	stream, err := p.Resource.CallResource(ctx, req)
	if err != nil {
		return resourceAnswer{}, fmt.Errorf("CallResource %s %s failed: %w", method, path, err)
	}
	var answer resourceAnswer
	for first := true; ; first = false {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			if first {
				return answer, errors.New("received empty resource response (no message on the stream)")
			}
			return answer, nil
		}
		if err != nil {
			return answer, fmt.Errorf("CallResource %s %s stream: %w", method, path, err)
		}
		if first {
			answer.status = int(msg.Code)
		}
		answer.body = append(answer.body, msg.Body...)
	}
}

// jsonObjectBody decodes a body that must be a JSON object.
func jsonObjectBody(answer resourceAnswer) (map[string]any, error) {
	var object map[string]any
	if err := json.Unmarshal(answer.body, &object); err != nil || object == nil {
		return nil, fmt.Errorf("body is not a JSON object: %q", answer.body)
	}
	return object, nil
}

func checkResourceHealth(ctx context.Context, p *pluginUnderTest) (string, error) {
	answer, err := callResource(ctx, p, http.MethodGet, "health")
	if err != nil {
		return "", err
	}
	if answer.status != http.StatusOK {
		return "", fmt.Errorf("GET health: code %d, want 200 (body %q)", answer.status, answer.body)
	}
	body, err := jsonObjectBody(answer)
	if err != nil {
		return "", err
	}
	if body["status"] != "ok" {
		return "", fmt.Errorf(`GET health: body %s, want "status":"ok"`, answer.body)
	}
	return fmt.Sprintf("200 %s", answer.body), nil
}

func checkResourceNotFound(ctx context.Context, p *pluginUnderTest) (string, error) {
	answer, err := callResource(ctx, p, http.MethodGet, "does/not/exist")
	if err != nil {
		return "", err
	}
	if answer.status != http.StatusNotFound {
		return "", fmt.Errorf("GET does/not/exist: code %d, want 404 (body %q)", answer.status, answer.body)
	}
	body, err := jsonObjectBody(answer)
	if err != nil {
		return "", err
	}
	if message, _ := body["error"].(string); message == "" {
		return "", fmt.Errorf("GET does/not/exist: body %s has no error message", answer.body)
	}
	return fmt.Sprintf("404 %s", answer.body), nil
}
