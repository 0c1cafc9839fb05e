// Package datasource holds the provisioned datasources of the host and sends Grafana's calls for
// them to the plugin: each call carries the PluginContext Grafana would build (org, plugin id and
// version, the datasource's settings with decrypted secrets and the time of its last update, so
// the plugin rebuilds its instance after a change).
package datasource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/cloudsql-cos-ts/host/launch"
	"github.com/cloudsql-cos-ts/host/provisioning"
)

// Instance is one datasource as Grafana stores it.
type Instance struct {
	ID      int64
	Version int64
	Updated time.Time
	provisioning.Datasource
}

// View is the datasource as Grafana's HTTP API shows it: secrets only as field names.
func (i Instance) View() map[string]any {
	secure := map[string]bool{}
	for k := range i.SecureJSONData {
		secure[k] = true
	}
	return map[string]any{
		"id": i.ID, "uid": i.UID, "orgId": i.OrgID, "name": i.Name, "type": i.Type, "access": i.Access,
		"isDefault": i.IsDefault, "jsonData": i.jsonData(), "secureJsonFields": secure, "version": i.Version,
		"readOnly": !i.Editable,
	}
}

// jsonData is the settings object, {} when the datasource has none (never JSON null).
func (i Instance) jsonData() map[string]any {
	if i.JSONData == nil {
		return map[string]any{}
	}
	return i.JSONData
}

// Update is the part of a PUT body the config editor sends.
type Update struct {
	Name           *string           `json:"name"`
	Access         *string           `json:"access"`
	IsDefault      *bool             `json:"isDefault"`
	JSONData       map[string]any    `json:"jsonData"`
	SecureJSONData map[string]string `json:"secureJsonData"`
}

// PluginSource gives the running plugin process (or an error while it is down).
type PluginSource func() (*launch.Plugin, error)

// Registry is the host's datasource store.
type Registry struct {
	pluginID      string
	pluginVersion string
	plugin        PluginSource
	mu            sync.Mutex
	byUID         map[string]*Instance
}

// NewRegistry stores the provisioned datasources of our plugin type (others are ignored).
func NewRegistry(pluginID, pluginVersion string, plugin PluginSource, provisioned []provisioning.Datasource) *Registry {
	r := &Registry{pluginID: pluginID, pluginVersion: pluginVersion, plugin: plugin, byUID: map[string]*Instance{}}
	now := time.Now()
	for i, ds := range provisioned {
		if ds.Type != pluginID {
			continue
		}
		r.byUID[ds.UID] = &Instance{ID: int64(i + 1), Version: 1, Updated: now, Datasource: ds}
	}
	return r
}

// Get returns a copy of the datasource with this uid.
func (r *Registry) Get(uid string) (Instance, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst, ok := r.byUID[uid]
	if !ok {
		return Instance{}, false
	}
	return inst.clone(), true
}

// UIDs lists the stored datasources.
func (r *Registry) UIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	uids := make([]string, 0, len(r.byUID))
	for uid := range r.byUID {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	return uids
}

// Apply saves a config-editor update: jsonData is replaced, secrets given are set (an empty
// value removes one), secrets not given are kept; version and update time move on.
func (r *Registry) Apply(uid string, u Update) (Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst, ok := r.byUID[uid]
	if !ok {
		return Instance{}, fmt.Errorf("datasource %q not found", uid)
	}
	next := inst.clone()
	if u.Name != nil {
		next.Name = *u.Name
	}
	if u.Access != nil {
		next.Access = *u.Access
	}
	if u.IsDefault != nil {
		next.IsDefault = *u.IsDefault
	}
	if u.JSONData != nil {
		next.JSONData = u.JSONData
	}
	for k, v := range u.SecureJSONData {
		if v == "" {
			delete(next.SecureJSONData, k)
		} else {
			next.SecureJSONData[k] = v
		}
	}
	next.Version++
	// Instance caches key on the update time; keep it strictly increasing even within a millisecond.
	next.Updated = time.Now()
	if !next.Updated.After(inst.Updated) {
		next.Updated = inst.Updated.Add(time.Millisecond)
	}
	*inst = next
	return next.clone(), nil
}

func (i Instance) clone() Instance {
	c := i
	c.JSONData = maps.Clone(i.JSONData)
	c.SecureJSONData = maps.Clone(i.SecureJSONData)
	if c.SecureJSONData == nil {
		c.SecureJSONData = map[string]string{}
	}
	return c
}

// PluginContext is what Grafana attaches to every call for this datasource.
func (r *Registry) PluginContext(inst Instance) (backend.PluginContext, error) {
	jsonData, err := json.Marshal(inst.jsonData())
	if err != nil {
		return backend.PluginContext{}, err
	}
	return backend.PluginContext{
		OrgID:         inst.OrgID,
		PluginID:      r.pluginID,
		PluginVersion: r.pluginVersion,
		User:          &backend.User{Login: "admin", Name: "admin", Role: "Admin"},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: inst.ID, UID: inst.UID, Type: inst.Type, Name: inst.Name, JSONData: jsonData,
			DecryptedSecureJSONData: maps.Clone(inst.SecureJSONData), Updated: inst.Updated,
		},
	}, nil
}

// call resolves the datasource and the running plugin for one RPC.
func (r *Registry) call(uid string) (*launch.Plugin, backend.PluginContext, error) {
	inst, ok := r.Get(uid)
	if !ok {
		return nil, backend.PluginContext{}, fmt.Errorf("datasource %q not found", uid)
	}
	pc, err := r.PluginContext(inst)
	if err != nil {
		return nil, pc, err
	}
	p, err := r.plugin()
	return p, pc, err
}

// QueryData sends one QueryData call with these queries for datasource uid.
func (r *Registry) QueryData(ctx context.Context, uid string, queries []backend.DataQuery,
	headers map[string]string) (*backend.QueryDataResponse, error) {
	p, pc, err := r.call(uid)
	if err != nil {
		return nil, err
	}
	req := &backend.QueryDataRequest{PluginContext: pc, Headers: headers, Queries: queries}
	res, err := p.Data.QueryData(ctx, backend.ToProto().QueryDataRequest(req))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(res)
}

// CheckHealth runs Save & test for datasource uid.
func (r *Registry) CheckHealth(ctx context.Context, uid string) (*backend.CheckHealthResult, error) {
	p, pc, err := r.call(uid)
	if err != nil {
		return nil, err
	}
	res, err := p.Diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: backend.ToProto().PluginContext(pc)})
	if err != nil {
		return nil, err
	}
	return backend.FromProto().CheckHealthResponse(res), nil
}

// ResourceAnswer is a CallResource stream put together: the first message's status and headers,
// every message's body.
type ResourceAnswer struct {
	Status  int
	Headers map[string][]string
	Body    []byte
}

// CallResource forwards one resource request for datasource uid.
func (r *Registry) CallResource(ctx context.Context, uid string, req *backend.CallResourceRequest) (*ResourceAnswer, error) {
	p, pc, err := r.call(uid)
	if err != nil {
		return nil, err
	}
	req.PluginContext = pc
	stream, err := p.Resource.CallResource(ctx, backend.ToProto().CallResourceRequest(req))
	if err != nil {
		return nil, err
	}
	answer := &ResourceAnswer{}
	for first := true; ; first = false {
		msg, err := stream.Recv()
		if err != nil {
			if first {
				return nil, err
			}
			if errors.Is(err, io.EOF) {
				return answer, nil
			}
			return nil, err
		}
		if first {
			answer.Status = int(msg.GetCode())
			answer.Headers = map[string][]string{}
			for k, v := range msg.GetHeaders() {
				answer.Headers[k] = v.GetValues()
			}
		}
		answer.Body = append(answer.Body, msg.GetBody()...)
	}
}

// CollectMetrics is the plugin's Prometheus text (Grafana's /api/plugins/<id>/metrics).
func (r *Registry) CollectMetrics(ctx context.Context) ([]byte, error) {
	p, err := r.plugin()
	if err != nil {
		return nil, err
	}
	pc := backend.PluginContext{OrgID: 1, PluginID: r.pluginID, PluginVersion: r.pluginVersion}
	res, err := p.Diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{PluginContext: backend.ToProto().PluginContext(pc)})
	if err != nil {
		return nil, err
	}
	return res.GetMetrics().GetPrometheus(), nil
}
