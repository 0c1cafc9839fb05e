// Command grafana-less-host loads an installed backend plugin folder the way Grafana does and
// answers the part of Grafana's HTTP API the plugin's frontend and the tests use, so the plugin
// can be exercised end to end without Grafana's server (AGPL, not part of this project).
//
//	grafana-less-host serve -plugin-dir DIR -provisioning DIR -listen 127.0.0.1:0 [-env KEY=VALUE ...]
//
// Once the plugin has handshaken it prints one stdout line {"listening":"http://127.0.0.1:PORT"}
// and serves until SIGTERM or SIGINT, then stops the plugin and exits 0.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cloudsql-cos-ts/host/alerting"
	"github.com/cloudsql-cos-ts/host/datasource"
	"github.com/cloudsql-cos-ts/host/front"
	"github.com/cloudsql-cos-ts/host/launch"
	"github.com/cloudsql-cos-ts/host/pluginfolder"
	"github.com/cloudsql-cos-ts/host/provisioning"
	"github.com/cloudsql-cos-ts/host/supervisor"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if len(os.Args) < 2 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: grafana-less-host serve -plugin-dir DIR -provisioning DIR -listen ADDR [-env KEY=VALUE ...]")
		os.Exit(2)
	}
	if err := serve(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "grafana-less-host:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	pluginDir := fs.String("plugin-dir", "", "the installed plugin folder (plugin.json, <executable>_linux_amd64, ...)")
	provisioningDir := fs.String("provisioning", "", "a folder laid out like Grafana's conf/provisioning")
	listen := fs.String("listen", "127.0.0.1:0", "loopback address of the HTTP front")
	allow := fs.String("allow-unsigned", "ibm-cloudsqlcos-datasource", "allow_loading_unsigned_plugins: comma-separated plugin ids")
	var env listFlag
	fs.Var(&env, "env", "KEY=VALUE added to the plugin process environment, like a [plugin.<id>] setting (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pluginDir == "" || *provisioningDir == "" {
		return errors.New("-plugin-dir and -provisioning are required")
	}
	if err := loopbackOnly(*listen); err != nil {
		return err
	}
	plugin, err := pluginfolder.Load(*pluginDir, strings.Split(*allow, ","))
	if err != nil {
		return err
	}
	if !plugin.Manifest.Backend {
		return fmt.Errorf("plugin %s has no backend", plugin.Manifest.ID)
	}
	provisioned, err := provisioning.Load(*provisioningDir, os.Getenv)
	if err != nil {
		return err
	}
	cacheDir, err := os.MkdirTemp("", "grafana-less-host-cache-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cacheDir)

	// Listen for signals before the plugin starts: a caller may send SIGTERM as soon as it reads the
	// address, and a signal that arrived before Notify would kill the host with the default action,
	// leaving the plugin process behind.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(stop)

	sup, err := supervisor.Start(func() (*launch.Plugin, error) {
		return launch.Start(plugin.Executable, launch.GrafanaEnv(cacheDir, env...))
	})
	if err != nil {
		return err
	}
	defer sup.Stop()

	registry := datasource.NewRegistry(plugin.Manifest.ID, plugin.Manifest.Info.Version, sup.Plugin, provisioned.Datasources)
	evaluator := &alerting.Evaluator{Rules: provisioned.AlertRules, Query: registry.QueryData}
	server := &front.Server{
		Plugin: plugin, Supervisor: sup, Datasources: registry, Dashboards: provisioned.Dashboards,
		Evaluate: func(ctx context.Context) any { return evaluator.EvaluateAll(ctx, time.Now()) },
	}
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	httpServer := &http.Server{Handler: server.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(listener) }()

	announce, err := json.Marshal(map[string]string{"listening": "http://" + listener.Addr().String()})
	if err != nil {
		return err
	}
	fmt.Println(string(announce))

	select {
	case sig := <-stop:
		log.Printf("host: %s, stopping", sig)
	case err := <-served:
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return httpServer.Shutdown(ctx)
}

// loopbackOnly refuses an address other than a loopback one: the front has no authentication.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-listen %s: only loopback addresses are allowed", addr)
	}
	return nil
}
