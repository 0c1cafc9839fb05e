package main

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// pluginUnderTest is a running plugin process and the SDK gRPC clients Grafana talks to it with.
type pluginUnderTest struct {
	client      *goplugin.Client
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
}

func (p *pluginUnderTest) describe() string {
	return fmt.Sprintf("negotiated protocol version %d over %s", p.client.NegotiatedVersion(), p.client.Protocol())
}

// grafanaEnv is the environment Grafana ≥ 12.4 gives a plugin (host variables skipped, see
// SkipHostEnv): no PATH, no HOME, only Grafana's own variables. go-plugin appends the
// magic cookie and PLUGIN_* variables itself.
func grafanaEnv(cacheDir string) []string {
	return []string{
		"GF_VERSION=12.4.0",
		"GF_PLUGIN_CACHE_DIR=" + cacheDir,
	}
}

// grafanaClientConfig mirrors grafana/grafana pkg/plugins/backendplugin/grpcplugin/client.go:
// plain exec of the executable with no arguments, the SDK handshake, protocol v2 only, gRPC
// only, no AutoMTLS. The working directory is "/" so the plugin cannot rely on its own.
func grafanaClientConfig(executable, cacheDir string) *goplugin.ClientConfig {
	cmd := exec.Command(executable)
	cmd.Dir = "/"
	cmd.Env = grafanaEnv(cacheDir)
	return &goplugin.ClientConfig{
		Cmd: cmd,
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {
				"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
				"resource":    &grpcplugin.ResourceGRPCPlugin{},
				"data":        &grpcplugin.DataGRPCPlugin{},
			},
		},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		SkipHostEnv:      true,
		// Grafana's log wrapper reports Debug, so go-plugin re-logs the plugin's stderr at
		// debug and above; send it to our stderr where the pytest driver keeps it.
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "plugin",
			Level:  hclog.Debug,
			Output: os.Stderr,
		}),
	}
}

// startLikeGrafana starts the process, waits for the handshake and dispenses the three
// clients Grafana uses for a datasource. On error nothing is left running.
func startLikeGrafana(executable, cacheDir string) (*pluginUnderTest, error) {
	client := goplugin.NewClient(grafanaClientConfig(executable, cacheDir))
	p, err := dispense(client)
	if err != nil {
		client.Kill()
		return nil, err
	}
	return p, nil
}

func dispense(client *goplugin.Client) (*pluginUnderTest, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("go-plugin could not start the plugin: %w", err)
	}
	// Grafana's grpc_plugin.go Start() refuses anything older than v2.
	if v := client.NegotiatedVersion(); v != grpcplugin.ProtocolVersion {
		return nil, fmt.Errorf("negotiated protocol version %d, Grafana needs %d", v, grpcplugin.ProtocolVersion)
	}
	p := &pluginUnderTest{client: client}
	if p.data, err = dispenseAs[grpcplugin.DataClient](rpc, "data"); err != nil {
		return nil, err
	}
	if p.diagnostics, err = dispenseAs[grpcplugin.DiagnosticsClient](rpc, "diagnostics"); err != nil {
		return nil, err
	}
	if p.resource, err = dispenseAs[grpcplugin.ResourceClient](rpc, "resource"); err != nil {
		return nil, err
	}
	return p, nil
}

func dispenseAs[T any](rpc goplugin.ClientProtocol, name string) (T, error) {
	var zero T
	raw, err := rpc.Dispense(name)
	if err != nil {
		return zero, fmt.Errorf("dispensing %q: %w", name, err)
	}
	typed, ok := raw.(T)
	if !ok {
		return zero, fmt.Errorf("dispensing %q gave %T", name, raw)
	}
	return typed, nil
}
