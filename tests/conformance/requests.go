package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

const (
	pluginID         = "ibm-cloudsqlcos-datasource"
	datasourceUID    = "conformance"
	formatTable      = "table"
	formatTimeSeries = "time_series"
)

const (
	queryInterval            = 60 * time.Second
	queryMaxDataPoints int64 = 1000
)

var queryRange = backend.TimeRange{
	From: time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC),
	To:   time.Date(2024, 5, 7, 0, 0, 0, 0, time.UTC),
}

// pluginContext is what Grafana sends with every call for our one test datasource.
func pluginContext() backend.PluginContext {
	return pluginContextWith(json.RawMessage(`{}`))
}

// pluginContextWith is pluginContext for a datasource saved with these settings (jsonData).
func pluginContextWith(jsonData json.RawMessage) backend.PluginContext {
	return backend.PluginContext{
		OrgID:    1,
		PluginID: pluginID,
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			UID:      datasourceUID,
			Name:     "conformance",
			Type:     pluginID,
			JSONData: jsonData,
			Updated:  time.UnixMilli(1),
		},
	}
}

// queryModel is the JSON our query editor saves. Grafana's frontend adds refId, datasource,
// intervalMs and maxDataPoints to every saved query, so they are sent too.
type queryModel struct {
	RefID         string        `json:"refId"`
	Datasource    datasourceRef `json:"datasource"`
	IntervalMs    int64         `json:"intervalMs"`
	MaxDataPoints int64         `json:"maxDataPoints"`
	RawSQL        string        `json:"rawSql"`
	Format        string        `json:"format"`
	TimeColumn    string        `json:"timeColumn,omitempty"`
	MetricsColumn string        `json:"metricsColumn,omitempty"`
	GetResult     *bool         `json:"getResult,omitempty"` // the editor's "Get Queried Result"
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func sqlQuery(refID, sql, format string) queryModel {
	return queryModel{
		RefID:         refID,
		Datasource:    datasourceRef{Type: pluginID, UID: datasourceUID},
		IntervalMs:    queryInterval.Milliseconds(),
		MaxDataPoints: queryMaxDataPoints,
		RawSQL:        sql,
		Format:        format,
	}
}

func (m queryModel) dataQuery() backend.DataQuery {
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err) // a struct of strings and ints always marshals
	}
	return rawDataQuery(m.RefID, raw)
}

// rawDataQuery sends the given bytes as the query model, valid JSON or not.
func rawDataQuery(refID string, model []byte) backend.DataQuery {
	return backend.DataQuery{
		RefID:         refID,
		MaxDataPoints: queryMaxDataPoints,
		Interval:      queryInterval,
		TimeRange:     queryRange,
		JSON:          model,
	}
}

// queryData sends the queries in one QueryData call and decodes the answer exactly as Grafana
// does (backend.FromProto: every frame through data.UnmarshalArrowFrames, one bad frame fails
// the whole call).
func queryData(ctx context.Context, p *pluginUnderTest, queries ...backend.DataQuery) (backend.Responses, error) {
	return sendQueryData(ctx, p, &backend.QueryDataRequest{PluginContext: pluginContext(), Queries: queries})
}

// sendQueryData is queryData for a request built by the caller (another datasource, headers).
func sendQueryData(ctx context.Context, p *pluginUnderTest, request *backend.QueryDataRequest) (backend.Responses, error) {
	req := backend.ToProto().QueryDataRequest(request)
	protoResp, err := p.Data.QueryData(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("QueryData call failed: %w", err)
	}
	resp, err := backend.FromProto().QueryDataResponse(protoResp)
	if err != nil {
		return nil, fmt.Errorf("Grafana could not decode the QueryData response: %w", err)
	}
	return resp.Responses, nil
}

// singleResponse runs one query and insists on a successful answer for its refId.
func singleResponse(ctx context.Context, p *pluginUnderTest, q backend.DataQuery) (backend.DataResponse, error) {
	responses, err := queryData(ctx, p, q)
	if err != nil {
		return backend.DataResponse{}, err
	}
	res, ok := responses[q.RefID]
	if !ok {
		return res, fmt.Errorf("no response for refId %s", q.RefID)
	}
	if res.Error != nil || res.Status != backend.StatusOK {
		return res, fmt.Errorf("refId %s: status %d, error %v", q.RefID, res.Status, res.Error)
	}
	return res, nil
}
