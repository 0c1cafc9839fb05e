// A minimal datasource on Grafana's Go SDK: the reference the Python plugin's cache-hit path is
// measured against. It answers every query with a prebuilt frame of the requested shape, so its
// cost is the SDK's own: Arrow encoding, protobuf and gRPC.
package main

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// shape is the query model: rows of a time column plus valueColumns float64 columns.
type shape struct {
	Rows         int `json:"rows"`
	ValueColumns int `json:"valueColumns"`
}

type handler struct {
	mu     sync.Mutex
	frames map[shape]*data.Frame
}

func (h *handler) frame(s shape) *data.Frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f, ok := h.frames[s]; ok {
		return f
	}
	start := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	times := make([]time.Time, s.Rows)
	for i := range times {
		times[i] = start.Add(time.Duration(i) * time.Second)
	}
	fields := []*data.Field{data.NewField("time", nil, times)}
	for c := 0; c < s.ValueColumns; c++ {
		values := make([]float64, s.Rows)
		for i := range values {
			values[i] = float64(i) * float64(c+1)
		}
		fields = append(fields, data.NewField(string(rune('a'+c)), nil, values))
	}
	f := data.NewFrame("", fields...)
	h.frames[s] = f
	return f
}

func (h *handler) QueryData(_ context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		var s shape
		if err := json.Unmarshal(q.JSON, &s); err != nil {
			resp.Responses[q.RefID] = backend.ErrDataResponse(backend.StatusBadRequest, err.Error())
			continue
		}
		f := *h.frame(s) // a shallow copy: the fields are shared, the refId is per answer
		f.RefID = q.RefID
		resp.Responses[q.RefID] = backend.DataResponse{Frames: data.Frames{&f}}
	}
	return resp, nil
}

func main() {
	h := &handler{frames: map[shape]*data.Frame{}}
	if err := backend.Serve(backend.ServeOpts{QueryDataHandler: h}); err != nil {
		os.Exit(1)
	}
}
