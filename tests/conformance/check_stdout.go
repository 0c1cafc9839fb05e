package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cloudsql-cos-ts/host/launch"
)

// sigtermExitLimit bounds the wait for the process to end after SIGTERM; the stdout audit
// is only complete once stdout is closed.
const sigtermExitLimit = 5 * time.Second

// checkStdoutOnlyHandshake launches the executable a second time without go-plugin, because
// go-plugin silently discards every stdout line after the handshake. It drives every RPC
// check through a plain gRPC connection (outcomes are judged by the main run), stops the
// process with SIGTERM and requires that stdout held the handshake line and nothing else.
func checkStdoutOnlyHandshake(ctx context.Context, executable, cacheDir string) (string, error) {
	cmd := exec.Command(executable)
	cmd.Dir = "/"
	cmd.Env = append(launch.GrafanaEnv(cacheDir), goPluginEnv()...)
	// The plugin's logs from this run only matter when this check fails.
	var stderr tailBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting %s: %w", executable, err)
	}
	recorder := recordStdout(stdout)

	line, err := recorder.waitFirstLine(ctx)
	if err == nil {
		err = exerciseOverHandshake(ctx, line)
	}
	stopDetail, stopErr := stopWithSigterm(cmd, recorder)
	if err = errors.Join(err, stopErr); err != nil {
		return "", fmt.Errorf("%w\nplugin stderr ends with:\n%s", err, stderr.String())
	}
	if len(recorder.rest) > 0 {
		return "", fmt.Errorf("stdout held more than the handshake line %q: %q", strings.TrimSpace(line), recorder.rest)
	}
	return fmt.Sprintf("stdout was exactly %q; %s", line, stopDetail), nil
}

// goPluginEnv repeats what go-plugin's Client.Start adds to a plugin's environment.
func goPluginEnv() []string {
	return []string{
		grpcplugin.MagicCookieKey + "=" + grpcplugin.MagicCookieValue,
		"PLUGIN_MIN_PORT=10000",
		"PLUGIN_MAX_PORT=25000",
		fmt.Sprintf("PLUGIN_PROTOCOL_VERSIONS=%d", grpcplugin.ProtocolVersion),
	}
}

// stdoutRecorder reads a child's stdout to the end, handing over the first line as soon as it
// is complete.
type stdoutRecorder struct {
	firstLine chan string
	done      chan struct{}
	rest      []byte // everything after the first line; valid once done is closed
}

func recordStdout(r io.Reader) *stdoutRecorder {
	rec := &stdoutRecorder{firstLine: make(chan string, 1), done: make(chan struct{})}
	go func() {
		defer close(rec.done)
		buffered := bufio.NewReader(r)
		line, err := buffered.ReadString('\n')
		if err != nil {
			rec.rest = []byte(line)
			return
		}
		rec.firstLine <- line
		rec.rest, _ = io.ReadAll(buffered)
	}()
	return rec
}

func (rec *stdoutRecorder) waitFirstLine(ctx context.Context) (string, error) {
	select {
	case line := <-rec.firstLine:
		return line, nil
	case <-rec.done:
		return "", fmt.Errorf("stdout closed before a complete handshake line (got %q)", rec.rest)
	case <-ctx.Done():
		return "", errors.New("no handshake line on stdout before the check timed out")
	}
}

// exerciseOverHandshake connects where the handshake line says and runs every RPC check, so
// that anything a handler prints would show up on stdout.
func exerciseOverHandshake(ctx context.Context, line string) error {
	network, address, err := parseHandshake(line)
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient("passthrough:///plugin",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, address)
		}))
	if err != nil {
		return fmt.Errorf("connecting to %s %s: %w", network, address, err)
	}
	defer conn.Close()
	p := &pluginUnderTest{
		Data:        pluginv2.NewDataClient(conn),
		Diagnostics: pluginv2.NewDiagnosticsClient(conn),
		Resource:    pluginv2.NewResourceClient(conn),
	}
	for _, c := range rpcChecks {
		_, _ = c.run(ctx, p)
	}
	return nil
}

// parseHandshake reads CORE|APP|NETWORK|ADDRESS|PROTOCOL as go-plugin's client does, and
// insists on what Grafana needs: core 1, app 2, gRPC, no AutoMTLS certificate.
func parseHandshake(line string) (network, address string, err error) {
	parts := strings.Split(strings.TrimSpace(line), "|")
	if len(parts) != 5 {
		return "", "", fmt.Errorf("handshake line %q has %d fields, want CORE|APP|NETWORK|ADDRESS|grpc", line, len(parts))
	}
	if parts[0] != "1" || parts[1] != fmt.Sprint(grpcplugin.ProtocolVersion) || parts[4] != "grpc" {
		return "", "", fmt.Errorf("handshake line %q: want core 1, app %d, protocol grpc", line, grpcplugin.ProtocolVersion)
	}
	if parts[2] != "unix" && parts[2] != "tcp" {
		return "", "", fmt.Errorf("handshake line %q: network %q, want unix or tcp", line, parts[2])
	}
	return parts[2], parts[3], nil
}

// stopWithSigterm sends SIGTERM and waits until stdout is closed and the process has ended,
// killing it if that takes too long.
func stopWithSigterm(cmd *exec.Cmd, recorder *stdoutRecorder) (string, error) {
	started := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return "", fmt.Errorf("sending SIGTERM: %w", err)
	}
	exited := make(chan error, 1)
	go func() {
		<-recorder.done // Wait closes the pipe, so reading must finish first
		exited <- cmd.Wait()
	}()
	select {
	case waitErr := <-exited:
		return fmt.Sprintf("exited %s after SIGTERM (%s)", time.Since(started).Round(time.Millisecond), exitDescription(waitErr)), nil
	case <-time.After(sigtermExitLimit):
		_ = cmd.Process.Kill()
		<-exited
		return "", fmt.Errorf("still running %s after SIGTERM; killed", sigtermExitLimit)
	}
}

func exitDescription(waitErr error) string {
	if waitErr == nil {
		return "exit code 0"
	}
	return waitErr.Error()
}

// tailBuffer keeps the last few KiB written to it: enough of a log to explain a failure.
type tailBuffer struct {
	mu   sync.Mutex
	data []byte
}

const tailBufferSize = 4096

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.data = append(t.data, p...)
	if excess := len(t.data) - tailBufferSize; excess > 0 {
		t.data = t.data[excess:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.data)
}
