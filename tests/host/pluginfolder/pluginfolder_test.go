package pluginfolder

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const id = "acme-test-datasource"

// manifest is a valid backend datasource plugin.json as a map the cases edit.
func manifest() map[string]any {
	return map[string]any{
		"id": id, "type": "datasource", "name": "Test", "backend": true, "alerting": true,
		"executable": "gpx_test",
		"info": map[string]any{"keywords": []string{"x"}, "logos": map[string]string{"small": "a.svg", "large": "a.svg"},
			"updated": "2026-12-06", "version": "1.0.0"},
		"dependencies": map[string]any{"grafanaDependency": ">=11.0.0"},
		"includes":     []map[string]string{{"type": "dashboard", "name": "D", "path": "dashboards/d.json"}},
	}
}

// folder writes a plugin folder: plugin.json, the linux/amd64 executable and the included dashboard.
func folder(t *testing.T, m map[string]any, edit func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(dir, "plugin.json"), raw, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "gpx_test_linux_amd64"), []byte("#!/bin/sh\n"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "dashboards"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "dashboards", "d.json"), []byte("{}"), 0o644))
	if edit != nil {
		edit(dir)
	}
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func without(key string) map[string]any {
	m := manifest()
	delete(m, key)
	return m
}

func with(key string, value any) map[string]any {
	m := manifest()
	m[key] = value
	return m
}

func TestLoad(t *testing.T) {
	cases := []struct {
		name    string
		m       map[string]any
		edit    func(dir string)
		allow   []string
		wantErr string // "" = loads
	}{
		{"valid", manifest(), nil, []string{id}, ""},
		{"not on the unsigned allow-list", manifest(), nil, []string{"other"}, "unsigned and not in allow_loading_unsigned_plugins"},
		{"signed folder is refused", manifest(), func(dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "MANIFEST.txt"), []byte("x"), 0o644))
		}, []string{id}, "MANIFEST.txt"},
		{"id missing", without("id"), nil, []string{""}, "required fields missing: id"},
		{"info missing", without("info"), nil, []string{id}, "required fields missing: info"},
		{"dependencies missing", without("dependencies"), nil, []string{id}, "required fields missing: dependencies"},
		{"unknown type", with("type", "widget"), nil, []string{id}, `unknown plugin type "widget"`},
		{"alerting without backend", with("backend", false), nil, []string{id}, "alerting: true needs backend: true"},
		{"executable missing", manifest(), func(dir string) {
			must(t, os.Remove(filepath.Join(dir, "gpx_test_linux_amd64")))
		}, []string{id}, "backend executable"},
		{"executable not executable", manifest(), func(dir string) {
			must(t, os.Chmod(filepath.Join(dir, "gpx_test_linux_amd64"), 0o644))
		}, []string{id}, "not an executable file"},
		{"no fallback to the bare executable name", manifest(), func(dir string) {
			must(t, os.Rename(filepath.Join(dir, "gpx_test_linux_amd64"), filepath.Join(dir, "gpx_test")))
		}, []string{id}, "backend executable"},
		{"included dashboard missing", manifest(), func(dir string) {
			must(t, os.Remove(filepath.Join(dir, "dashboards", "d.json")))
		}, []string{id}, "includes"},
		{"dangling symlink", manifest(), func(dir string) {
			must(t, os.Symlink("nowhere", filepath.Join(dir, "dashboards", "gone.json")))
		}, []string{id}, "dashboards/gone.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Load(folder(t, c.m, c.edit), c.allow)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if p.Signature != "unsigned" || !strings.HasSuffix(p.Executable, "/gpx_test_linux_amd64") {
					t.Fatalf("loaded %+v", p)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestLoadMountsDist(t *testing.T) {
	root := t.TempDir()
	dist := folder(t, manifest(), nil)
	must(t, os.Rename(dist, filepath.Join(root, "dist")))
	p, err := Load(root, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if p.Dir != filepath.Join(root, "dist") {
		t.Fatalf("mounted %s", p.Dir)
	}
}
