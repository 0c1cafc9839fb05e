package front

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/cloudsql-cos-ts/host/datasource"
	"github.com/cloudsql-cos-ts/host/provisioning"
)

func TestHTTPStatus(t *testing.T) {
	ok := backend.DataResponse{}
	failed := func(status backend.Status) backend.DataResponse {
		return backend.DataResponse{Error: errors.New("x"), Status: status}
	}
	cases := []struct {
		name      string
		responses backend.Responses
		want      int
	}{
		{"all succeeded", backend.Responses{"A": ok, "B": ok}, 200},
		{"one bad query", backend.Responses{"A": ok, "B": failed(400)}, 400},
		{"the highest failed status", backend.Responses{"A": failed(400), "B": failed(500)}, 500},
		{"a failure without a status is 400", backend.Responses{"A": failed(0)}, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := httpStatus(&backend.QueryDataResponse{Responses: c.responses}); got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
}

func TestGroupQueries(t *testing.T) {
	s := &Server{Datasources: datasource.NewRegistry("acme-datasource", "1.0.0", nil, []provisioning.Datasource{
		{UID: "one", Type: "acme-datasource"}, {UID: "two", Type: "acme-datasource"}, {UID: "else", Type: "other"},
	})}
	tr := backend.TimeRange{From: time.UnixMilli(0), To: time.UnixMilli(1000)}
	raw := func(text string) json.RawMessage { return json.RawMessage(text) }
	byUID, order, err := s.groupQueries([]json.RawMessage{
		raw(`{"refId":"A","datasource":{"uid":"two"},"rawSql":"x"}`),
		raw(`{"refId":"B","datasource":{"uid":"one"},"intervalMs":60000,"maxDataPoints":1000}`),
		raw(`{"refId":"C","datasource":{"uid":"two"}}`),
	}, tr)
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != "two" || order[1] != "one" || len(byUID["two"]) != 2 {
		t.Fatalf("order %v, groups %v", order, byUID)
	}
	a, b := byUID["two"][0], byUID["one"][0]
	if a.MaxDataPoints != defaultMaxDataPoints || a.Interval != time.Second || string(a.JSON) != `{"refId":"A","datasource":{"uid":"two"},"rawSql":"x"}` {
		t.Errorf("defaults or model lost: %+v", a)
	}
	if b.MaxDataPoints != 1000 || b.Interval != time.Minute || b.TimeRange != tr {
		t.Errorf("query options: %+v", b)
	}
	for name, query := range map[string]string{
		"unknown datasource":             `{"refId":"A","datasource":{"uid":"nope"}}`,
		"another plugin's datasource":    `{"refId":"A","datasource":{"uid":"else"}}`,
		"no datasource with two to pick": `{"refId":"A"}`,
	} {
		if _, _, err := s.groupQueries([]json.RawMessage{raw(query)}, tr); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
