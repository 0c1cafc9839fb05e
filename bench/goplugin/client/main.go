// One client for every target: starts each the way Grafana does (go-plugin, the SDK handshake,
// gRPC), then times QueryData round trips. W2: p50/p99 of a 1,000-row time series (for the Python
// plugin, a result-cache hit, also on grpcio's default experiments; for py-floor, grpcio answering
// with a prebuilt response). W3: bytes per second for a 1,000,000-row x 5-column frame.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

type target struct {
	name    string
	command []string // executable and arguments
	env     []string
	w2Query map[string]any
	w3Query map[string]any
}

func start(t target) (*goplugin.Client, grpcplugin.DataClient, error) {
	cmd := exec.Command(t.command[0], t.command[1:]...)
	cmd.Dir = "/"
	cmd.Env = t.env
	client := goplugin.NewClient(&goplugin.ClientConfig{
		Cmd: cmd,
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {"data": &grpcplugin.DataGRPCPlugin{}},
		},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		SkipHostEnv:      true,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: t.name, Level: hclog.Warn, Output: os.Stderr}),
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, nil, err
	}
	raw, err := rpc.Dispense("data")
	if err != nil {
		client.Kill()
		return nil, nil, err
	}
	return client, raw.(grpcplugin.DataClient), nil
}

func request(model map[string]any) *pluginv2.QueryDataRequest {
	body, _ := json.Marshal(model)
	from := time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC)
	return backend.ToProto().QueryDataRequest(&backend.QueryDataRequest{
		PluginContext: backend.PluginContext{
			OrgID:    1,
			PluginID: "ibm-cloudsqlcos-datasource",
			DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
				UID: "bench", Name: "bench", JSONData: []byte("{}"), Updated: time.UnixMilli(1),
			},
		},
		Queries: []backend.DataQuery{{
			RefID: "A", JSON: body, Interval: time.Minute, MaxDataPoints: 1000,
			TimeRange: backend.TimeRange{From: from, To: from.Add(24 * time.Hour)},
		}},
	})
}

// call sends one request and returns the wall time and the bytes of the frames received.
func call(data grpcplugin.DataClient, req *pluginv2.QueryDataRequest) (time.Duration, int, error) {
	started := time.Now()
	resp, err := data.QueryData(context.Background(), req)
	elapsed := time.Since(started)
	if err != nil {
		return 0, 0, err
	}
	answer := resp.Responses["A"]
	if answer == nil || answer.Error != "" || len(answer.Frames) == 0 {
		return 0, 0, fmt.Errorf("bad answer: %v", answer)
	}
	size := 0
	for _, f := range answer.Frames {
		size += len(f)
	}
	return elapsed, size, nil
}

// checkDecodes decodes one answer the way Grafana does, so both plugins are known to return real frames.
func checkDecodes(data grpcplugin.DataClient, req *pluginv2.QueryDataRequest, rows int) error {
	resp, err := data.QueryData(context.Background(), req)
	if err != nil {
		return err
	}
	decoded, err := backend.FromProto().QueryDataResponse(resp)
	if err != nil {
		return err
	}
	frames := decoded.Responses["A"].Frames
	if len(frames) != 1 || frames[0].Rows() != rows {
		return fmt.Errorf("expected one frame of %d rows", rows)
	}
	return nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[int(float64(len(sorted)-1)*p)]
}

type w2Result struct{ p50, p99, mean time.Duration }

func summarize(times []time.Duration) w2Result {
	sorted := append([]time.Duration(nil), times...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var total time.Duration
	for _, t := range sorted {
		total += t
	}
	return w2Result{percentile(sorted, 0.5), percentile(sorted, 0.99), total / time.Duration(len(sorted))}
}

// warmW2 fills the Python plugin's cache and warms both sides, then checks the answer decodes.
func warmW2(data grpcplugin.DataClient, req *pluginv2.QueryDataRequest) error {
	for i := 0; i < 50; i++ {
		if _, _, err := call(data, req); err != nil {
			return err
		}
	}
	return checkDecodes(data, req, 1000)
}

// w2 times calls round trips per target, interleaved in rounds so that a change of machine load
// during the run reaches every target alike.
func w2(targets []*running, calls, rounds int) (map[string]w2Result, error) {
	times := map[string][]time.Duration{}
	for round := 0; round < rounds; round++ {
		for _, t := range targets {
			for i := 0; i < calls/rounds; i++ {
				elapsed, _, err := call(t.data, t.w2Request)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", t.name, err)
				}
				times[t.name] = append(times[t.name], elapsed)
			}
		}
	}
	results := map[string]w2Result{}
	for name, list := range times {
		results[name] = summarize(list)
	}
	return results, nil
}

func w3(data grpcplugin.DataClient, model map[string]any, calls int) (float64, int, error) {
	req := request(model)
	if _, _, err := call(data, req); err != nil { // fills the Python plugin's cache
		return 0, 0, err
	}
	if err := checkDecodes(data, req, 1_000_000); err != nil {
		return 0, 0, err
	}
	var total time.Duration
	size := 0
	for i := 0; i < calls; i++ {
		elapsed, n, err := call(data, req)
		if err != nil {
			return 0, 0, err
		}
		total += elapsed
		size = n
	}
	return float64(size) * float64(calls) / total.Seconds(), size, nil
}

// running is a started target with its prepared W2 request.
type running struct {
	target
	client    *goplugin.Client
	data      grpcplugin.DataClient
	w2Request *pluginv2.QueryDataRequest
}

func main() {
	goPlugin := flag.String("go-plugin", "", "the Go reference plugin executable")
	python := flag.String("python", "", "the Python interpreter of the plugin's venv")
	pythonPath := flag.String("pythonpath", "", "PYTHONPATH for the Python plugin (its source tree)")
	floorScript := flag.String("floor", "", "bench/grpc_floor.py: grpcio's round trip with a handler doing no work")
	cacheDir := flag.String("cache-dir", "", "GF_PLUGIN_CACHE_DIR for the Python plugin")
	calls := flag.Int("calls", 2000, "W2 calls per plugin")
	rounds := flag.Int("rounds", 10, "W2 rounds: each round makes calls/rounds calls to every plugin in turn")
	bigCalls := flag.Int("big-calls", 5, "W3 calls per plugin")
	flag.Parse()

	w2SQL := "SELECT TIMESTAMP '2024-05-06 00:00:00' + to_seconds(range) AS time, range * 1.0 AS a FROM range(1000)"
	w3SQL := "SELECT TIMESTAMP '2024-05-06 00:00:00' + to_seconds(range) AS time, range * 1.0 AS a, " +
		"range * 2.0 AS b, range * 3.0 AS c, range * 4.0 AS d FROM range(1000000)"
	pythonEnv := []string{"GF_VERSION=12.4.0", "PYTHONPATH=" + *pythonPath, "PYTHONDONTWRITEBYTECODE=1"}
	w2Query := map[string]any{"rawSql": w2SQL, "format": "time_series"}
	targets := []target{
		{
			name: "go-sdk", command: []string{*goPlugin}, env: []string{"GF_VERSION=12.4.0"},
			w2Query: map[string]any{"rows": 1000, "valueColumns": 1},
			w3Query: map[string]any{"rows": 1_000_000, "valueColumns": 4},
		},
		{
			name: "py-floor", command: []string{*python, *floorScript}, env: pythonEnv,
			w2Query: map[string]any{},
		},
		{
			name:    "python",
			command: []string{*python, "-m", "cloudsql_cos_ts.server"},
			env:     append([]string{"GF_PLUGIN_CACHE_DIR=" + *cacheDir, "GF_PLUGIN_LOG_LEVEL=warn"}, pythonEnv...),
			w2Query: w2Query,
			w3Query: map[string]any{"rawSql": w3SQL, "format": "table"},
		},
		{
			// The same plugin with grpcio's default experiments (an empty GRPC_EXPERIMENTS is kept by
			// the plugin): sockets served by EventEngine threads, the baseline of server/grpc_core.py.
			name:    "python-grpc-default",
			command: []string{*python, "-m", "cloudsql_cos_ts.server"},
			env: append([]string{
				"GF_PLUGIN_CACHE_DIR=" + *cacheDir + "-grpc-default", "GF_PLUGIN_LOG_LEVEL=warn", "GRPC_EXPERIMENTS=",
			}, pythonEnv...),
			w2Query: w2Query,
		},
	}
	var started []*running
	stopAll := func() {
		for _, r := range started {
			r.client.Kill()
		}
	}
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		stopAll()
		os.Exit(1)
	}
	for _, t := range targets {
		client, data, err := start(t)
		if err != nil {
			fail("%s: %v", t.name, err)
		}
		r := &running{target: t, client: client, data: data, w2Request: request(t.w2Query)}
		started = append(started, r)
		if err := warmW2(data, r.w2Request); err != nil {
			fail("%s W2 warm-up: %v", t.name, err)
		}
	}
	results, err := w2(started, *calls, *rounds)
	if err != nil {
		fail("W2: %v", err)
	}
	for _, r := range started {
		res := results[r.name]
		fmt.Printf("W2 %-19s 1,000-row time series, %d calls in %d rounds: p50 %8.3f ms  p99 %8.3f ms  mean %8.3f ms\n",
			r.name, *calls / *rounds * *rounds, *rounds, ms(res.p50), ms(res.p99), ms(res.mean))
	}
	g, f, p := results["go-sdk"], results["py-floor"], results["python"]
	fmt.Printf("W2 ratio python/go: p50 %.2fx (goal <= 1.5x)  p99 %.2fx (goal <= 2x)\n",
		float64(p.p50)/float64(g.p50), float64(p.p99)/float64(g.p99))
	fmt.Printf("W2 ratio py-floor/go: p50 %.2fx  p99 %.2fx (grpcio with a handler doing no work)\n",
		float64(f.p50)/float64(g.p50), float64(f.p99)/float64(g.p99))
	fmt.Printf("W2 python above py-floor: p50 +%.3f ms (the plugin's own cache-hit path)\n", ms(p.p50-f.p50))
	d := results["python-grpc-default"]
	fmt.Printf("W2 ratio python-grpc-default/go: p50 %.2fx  p99 %.2fx (the plugin on grpcio's EventEngine listener)\n",
		float64(d.p50)/float64(g.p50), float64(d.p99)/float64(g.p99))
	for _, r := range started {
		if r.w3Query == nil {
			continue
		}
		rate, size, err := w3(r.data, r.w3Query, *bigCalls)
		if err != nil {
			fail("%s W3: %v", r.name, err)
		}
		fmt.Printf("W3 %-19s 1,000,000 x 5 frame (%s bytes), %d calls: %8.1f MB/s\n",
			r.name, thousands(size), *bigCalls, rate/1e6)
	}
	stopAll()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func thousands(n int) string {
	s := fmt.Sprint(n)
	var parts []string
	for len(s) > 3 {
		parts = append([]string{s[len(s)-3:]}, parts...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, parts...), ",")
}
