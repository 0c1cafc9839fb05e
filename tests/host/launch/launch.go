// Package launch starts a backend plugin executable the way Grafana's plugin manager does
// (hashicorp/go-plugin with the plugin SDK's handshake and gRPC clients). It is the one home of
// that mechanism: the Grafana-less host and the conformance harness both launch through it.
package launch

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// GrafanaVersion is the version the host claims to be in GF_VERSION.
const GrafanaVersion = "12.4.0"

// Plugin is a running plugin process and the SDK gRPC clients Grafana talks to it with.
type Plugin struct {
	Client      *goplugin.Client
	Data        grpcplugin.DataClient
	Diagnostics grpcplugin.DiagnosticsClient
	Resource    grpcplugin.ResourceClient
}

// Describe names what was negotiated, for logs and check details.
func (p *Plugin) Describe() string {
	return fmt.Sprintf("negotiated protocol version %d over %s", p.Client.NegotiatedVersion(), p.Client.Protocol())
}

// Pid is the process id of the plugin executable (0 once it is gone).
func (p *Plugin) Pid() int {
	if cfg := p.Client.ReattachConfig(); cfg != nil {
		return cfg.Pid
	}
	return 0
}

// GrafanaEnv is the environment Grafana ≥ 12.4 gives a plugin (host variables skipped, see
// SkipHostEnv): no PATH, no HOME, only Grafana's own variables plus extra ones such as the
// GF_PLUGIN_<KEY> settings of [plugin.<id>]. go-plugin appends the magic cookie and the
// PLUGIN_* variables itself.
func GrafanaEnv(cacheDir string, extra ...string) []string {
	env := []string{
		"GF_VERSION=" + GrafanaVersion,
		"GF_EDITION=Open Source",
		"GF_PLUGIN_CACHE_DIR=" + cacheDir,
	}
	return append(env, extra...)
}

// ClientConfig mirrors Grafana's grpcplugin client: plain exec of the executable with no
// arguments, the SDK handshake, protocol v2 only, gRPC only, no AutoMTLS. The working directory
// is "/" so the plugin cannot rely on its own.
func ClientConfig(executable string, env []string) *goplugin.ClientConfig {
	cmd := exec.Command(executable)
	cmd.Dir = "/"
	cmd.Env = env
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
		// debug and above; send it to our stderr where the caller keeps it.
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "plugin",
			Level:  hclog.Debug,
			Output: os.Stderr,
		}),
	}
}

// Start starts the process, waits for the handshake and dispenses the three clients Grafana
// uses for a datasource. On error nothing is left running.
func Start(executable string, env []string) (*Plugin, error) {
	client := goplugin.NewClient(ClientConfig(executable, env))
	p, err := dispense(client)
	if err != nil {
		client.Kill()
		return nil, err
	}
	return p, nil
}

func dispense(client *goplugin.Client) (*Plugin, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("go-plugin could not start the plugin: %w", err)
	}
	// Grafana's grpc_plugin.go Start() refuses anything older than v2.
	if v := client.NegotiatedVersion(); v != grpcplugin.ProtocolVersion {
		return nil, fmt.Errorf("negotiated protocol version %d, Grafana needs %d", v, grpcplugin.ProtocolVersion)
	}
	p := &Plugin{Client: client}
	if p.Data, err = dispenseAs[grpcplugin.DataClient](rpc, "data"); err != nil {
		return nil, err
	}
	if p.Diagnostics, err = dispenseAs[grpcplugin.DiagnosticsClient](rpc, "diagnostics"); err != nil {
		return nil, err
	}
	if p.Resource, err = dispenseAs[grpcplugin.ResourceClient](rpc, "resource"); err != nil {
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
