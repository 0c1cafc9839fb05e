package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// errorCase is one refId of the mixed request: what its query is and how Grafana must see the
// answer. wantSource "" means any valid source.
type errorCase struct {
	refID      string
	query      backend.DataQuery
	wantStatus backend.Status
	wantSource backend.ErrorSource
}

func perQueryErrorCases() []errorCase {
	return []errorCase{
		{"OK", sqlQuery("OK", "SELECT 42 AS answer", formatTable).dataQuery(), backend.StatusOK, ""},
		{"BAD", sqlQuery("BAD", "SELEC nonsense", formatTable).dataQuery(), backend.StatusBadRequest, backend.ErrorSourceDownstream},
		{"JSON", rawDataQuery("JSON", []byte(`{not json`)), backend.StatusBadRequest, ""},
		{"EMPTY", rawDataQuery("EMPTY", []byte(`{"rawSql": ""}`)), backend.StatusBadRequest, ""},
	}
}

// checkPerQueryErrors sends good and bad queries together: the call must succeed and every
// refId must get its own answer, failures carrying error, 4xx status and errorSource.
func checkPerQueryErrors(ctx context.Context, p *pluginUnderTest) (string, error) {
	cases := perQueryErrorCases()
	queries := make([]backend.DataQuery, len(cases))
	for i, c := range cases {
		queries[i] = c.query
	}
	responses, err := queryData(ctx, p, queries...)
	if err != nil {
		return "", err
	}
	if len(responses) != len(cases) {
		return "", fmt.Errorf("answered refIds %v, want exactly %d", slices.Sorted(maps.Keys(responses)), len(cases))
	}
	var problems, summary []string
	for _, c := range cases {
		res, ok := responses[c.refID]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: no answer", c.refID))
			continue
		}
		if err := requireOutcome(c, res); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", c.refID, err))
		}
		summary = append(summary, fmt.Sprintf("%s=%d", c.refID, res.Status))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	return strings.Join(summary, " "), nil
}

func requireOutcome(c errorCase, res backend.DataResponse) error {
	if res.Status != c.wantStatus {
		return fmt.Errorf("status %d, want %d (error %v)", res.Status, c.wantStatus, res.Error)
	}
	if c.wantStatus == backend.StatusOK {
		if res.Error != nil {
			return fmt.Errorf("status 200 but error %q", res.Error)
		}
		if len(res.Frames) == 0 {
			return errors.New("status 200 but no frame")
		}
		return nil
	}
	if res.Error == nil || res.Error.Error() == "" {
		return errors.New("no error message")
	}
	if !res.ErrorSource.IsValid() {
		return fmt.Errorf("errorSource %q, want plugin or downstream (error %q)", res.ErrorSource, res.Error)
	}
	if c.wantSource != "" && res.ErrorSource != c.wantSource {
		return fmt.Errorf("errorSource %q, want %q (error %q)", res.ErrorSource, c.wantSource, res.Error)
	}
	return nil
}
