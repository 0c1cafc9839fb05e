package front

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// Grafana's defaults for a query that does not say.
const (
	defaultMaxDataPoints = 100
	defaultIntervalMs    = 1000
)

// passedHeaders are the request headers Grafana hands on to the plugin with the query.
var passedHeaders = []string{"X-Cache-Skip", backend.FromAlertHeaderName}

type queryBody struct {
	Queries []json.RawMessage `json:"queries"`
	From    string            `json:"from"`
	To      string            `json:"to"`
}

// queryFields are the fields of a query model Grafana itself reads; the rest is the plugin's.
type queryFields struct {
	RefID      string `json:"refId"`
	QueryType  string `json:"queryType"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	IntervalMs    int64 `json:"intervalMs"`
	MaxDataPoints int64 `json:"maxDataPoints"`
}

// query is POST /api/ds/query: the queries of each datasource go to the plugin in one
// QueryData call; the HTTP status is 200 when every query succeeded, else the highest status of
// a failed one.
func (s *Server) query(w http.ResponseWriter, r *http.Request) {
	var body queryBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	timeRange, err := parseRange(body.From, body.To)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	byUID, order, err := s.groupQueries(body.Queries, timeRange)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	headers := map[string]string{}
	for _, name := range passedHeaders {
		if v := r.Header.Get(name); v != "" {
			headers[name] = v
		}
	}
	merged := backend.NewQueryDataResponse()
	for _, uid := range order {
		res, err := s.Datasources.QueryData(r.Context(), uid, byUID[uid], headers)
		if err != nil {
			fail(w, http.StatusInternalServerError, err)
			return
		}
		for ref, dr := range res.Responses {
			merged.Responses[ref] = dr
		}
	}
	writeJSON(w, httpStatus(merged), merged)
}

// groupQueries turns the body's queries into backend queries per datasource uid (in order of
// first appearance); a query without a datasource goes to the only one provisioned.
func (s *Server) groupQueries(raw []json.RawMessage, tr backend.TimeRange) (map[string][]backend.DataQuery, []string, error) {
	byUID := map[string][]backend.DataQuery{}
	var order []string
	for i, q := range raw {
		var f queryFields
		if err := json.Unmarshal(q, &f); err != nil {
			return nil, nil, fmt.Errorf("query %d: %w", i, err)
		}
		uid, err := s.datasourceOf(f)
		if err != nil {
			return nil, nil, fmt.Errorf("query %q: %w", f.RefID, err)
		}
		if f.MaxDataPoints <= 0 {
			f.MaxDataPoints = defaultMaxDataPoints
		}
		if f.IntervalMs <= 0 {
			f.IntervalMs = defaultIntervalMs
		}
		if _, seen := byUID[uid]; !seen {
			order = append(order, uid)
		}
		byUID[uid] = append(byUID[uid], backend.DataQuery{
			RefID: f.RefID, QueryType: f.QueryType, MaxDataPoints: f.MaxDataPoints,
			Interval: time.Duration(f.IntervalMs) * time.Millisecond, TimeRange: tr, JSON: q,
		})
	}
	return byUID, order, nil
}

func (s *Server) datasourceOf(f queryFields) (string, error) {
	if f.Datasource != nil && f.Datasource.UID != "" {
		if _, ok := s.Datasources.Get(f.Datasource.UID); !ok {
			return "", fmt.Errorf("datasource %q not found", f.Datasource.UID)
		}
		return f.Datasource.UID, nil
	}
	uids := s.Datasources.UIDs()
	if len(uids) != 1 {
		return "", errors.New("query names no datasource and there is not exactly one")
	}
	return uids[0], nil
}

// parseRange reads from/to as epoch milliseconds (what DataSourceWithBackend sends).
func parseRange(from, to string) (backend.TimeRange, error) {
	ms := func(name, v string) (time.Time, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s must be epoch milliseconds, got %q", name, v)
		}
		return time.UnixMilli(n).UTC(), nil
	}
	f, err := ms("from", from)
	if err != nil {
		return backend.TimeRange{}, err
	}
	t, err := ms("to", to)
	if err != nil {
		return backend.TimeRange{}, err
	}
	return backend.TimeRange{From: f, To: t}, nil
}

// httpStatus is 200 when no query failed, else the highest status among failed ones (400 when a
// failure carries none).
func httpStatus(res *backend.QueryDataResponse) int {
	status := http.StatusOK
	failed := false
	for _, dr := range res.Responses {
		if dr.Error == nil {
			continue
		}
		s := int(dr.Status)
		if s < http.StatusBadRequest {
			s = http.StatusBadRequest
		}
		if !failed || s > status {
			status, failed = s, true
		}
	}
	return status
}
