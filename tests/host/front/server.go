// Package front is the host's small HTTP API: the routes of Grafana's API that the plugin's
// frontend and the tests use, each answered by forwarding to the plugin the way Grafana does.
// Loopback only, no authentication, CORS open so a page served from another port may call it.
package front

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/cloudsql-cos-ts/host/datasource"
	"github.com/cloudsql-cos-ts/host/pluginfolder"
	"github.com/cloudsql-cos-ts/host/supervisor"
)

// Server holds what the routes answer from.
type Server struct {
	Plugin      *pluginfolder.Plugin
	Supervisor  *supervisor.Supervisor
	Datasources *datasource.Registry
	Dashboards  map[string]map[string]any
	// Evaluate runs every provisioned alert rule once and returns the results as JSON-able data.
	Evaluate func(ctx context.Context) any
}

// Handler routes Grafana's paths.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/ds/query", s.query)
	mux.HandleFunc("GET /api/datasources/uid/{uid}", s.getDatasource)
	mux.HandleFunc("PUT /api/datasources/uid/{uid}", s.putDatasource)
	mux.HandleFunc("GET /api/datasources/uid/{uid}/health", s.health)
	mux.HandleFunc("POST /api/datasources/uid/{uid}/health", s.health)
	mux.HandleFunc("/api/datasources/uid/{uid}/resources/{path...}", s.resource)
	mux.HandleFunc("GET /api/dashboards/uid/{uid}", s.dashboard)
	mux.HandleFunc("GET /api/plugins/{id}/metrics", s.metrics)
	mux.HandleFunc("GET /api/host/plugin", s.hostPlugin)
	mux.HandleFunc("POST /api/host/alerting/evaluate", s.evaluate)
	return cors(mux)
}

// cors lets pages from other loopback origins call the API, preflights included.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
		if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
			h.Set("Access-Control-Allow-Headers", asked)
		} else {
			h.Set("Access-Control-Allow-Headers", "*")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		log.Printf("host: writing answer: %v", err)
	}
}

// fail answers {"message": ...} with the status Grafana gives that kind of failure.
func fail(w http.ResponseWriter, status int, err error) {
	if errors.Is(err, supervisor.ErrPluginUnavailable) {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]string{"message": err.Error()})
}

func (s *Server) getDatasource(w http.ResponseWriter, r *http.Request) {
	inst, ok := s.Datasources.Get(r.PathValue("uid"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Data source not found"})
		return
	}
	writeJSON(w, http.StatusOK, inst.View())
}

func (s *Server) putDatasource(w http.ResponseWriter, r *http.Request) {
	var update datasource.Update
	if err := json.NewDecoder(r.Body).Decode(&update); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	inst, err := s.Datasources.Apply(r.PathValue("uid"), update)
	if err != nil {
		fail(w, http.StatusNotFound, err)
		return
	}
	view := inst.View()
	writeJSON(w, http.StatusOK, map[string]any{
		"datasource": view, "id": view["id"], "name": view["name"], "message": "Datasource updated",
	})
}

// health is Grafana's Save & test: 200 for OK, 400 otherwise, jsonDetails as `details`.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	res, err := s.Datasources.CheckHealth(r.Context(), r.PathValue("uid"))
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	payload := map[string]any{"status": res.Status.String(), "message": res.Message}
	if len(res.JSONDetails) > 0 {
		var details any
		if err := json.Unmarshal(res.JSONDetails, &details); err != nil {
			fail(w, http.StatusInternalServerError, err)
			return
		}
		payload["details"] = details
	}
	status := http.StatusOK
	if res.Status != backend.HealthStatusOk {
		status = http.StatusBadRequest
	}
	writeJSON(w, status, payload)
}

// resource forwards to CallResource with the path after resources/ and the query string.
func (s *Server) resource(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	path := r.PathValue("path")
	url := path
	if r.URL.RawQuery != "" {
		url += "?" + r.URL.RawQuery
	}
	answer, err := s.Datasources.CallResource(r.Context(), r.PathValue("uid"), &backend.CallResourceRequest{
		Path: path, Method: r.Method, URL: url, Headers: r.Header, Body: body,
	})
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	for k, values := range answer.Headers {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			continue // the front's own CORS answer stands
		}
		for _, v := range values {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(answer.Status)
	if _, err := w.Write(answer.Body); err != nil {
		log.Printf("host: writing resource answer: %v", err)
	}
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	d, ok := s.Dashboards[r.PathValue("uid")]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Dashboard not found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dashboard": d, "meta": map[string]any{"provisioned": true}})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != s.Plugin.Manifest.ID {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Plugin not found"})
		return
	}
	text, err := s.Datasources.CollectMetrics(r.Context())
	if err != nil {
		fail(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	if _, err := w.Write(text); err != nil {
		log.Printf("host: writing metrics: %v", err)
	}
}

// hostPlugin describes the loaded plugin and its process (for restart tests).
func (s *Server) hostPlugin(w http.ResponseWriter, _ *http.Request) {
	m := s.Plugin.Manifest
	pid, restarts := s.Supervisor.Status()
	writeJSON(w, http.StatusOK, map[string]any{
		"id": m.ID, "name": m.Name, "type": m.Type, "version": m.Info.Version, "signature": s.Plugin.Signature,
		"backend": m.Backend, "alerting": m.Alerting, "annotations": m.Annotations, "metrics": m.Metrics,
		"includes": m.Includes, "executable": s.Plugin.Executable, "pid": pid, "restarts": restarts,
	})
}

func (s *Server) evaluate(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Evaluate(r.Context()))
}
