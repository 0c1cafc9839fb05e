// Package pluginfolder reads an installed plugin folder the way Grafana's plugin loader does
// before it starts anything: plugin.json and its required fields, the backend executable
// name, the files `includes` points at, links that point nowhere, and the signature rule that
// only lets an unsigned plugin load when its id is on the allow-list.
package pluginfolder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Include is one entry of plugin.json `includes` (bundled dashboards, pages, ...).
type Include struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Path string `json:"path"`
}

// Info is the `info` block; the loader needs these four fields.
type Info struct {
	Keywords []string          `json:"keywords"`
	Logos    map[string]string `json:"logos"`
	Updated  string            `json:"updated"`
	Version  string            `json:"version"`
}

// Dependencies is the `dependencies` block.
type Dependencies struct {
	GrafanaDependency string `json:"grafanaDependency"`
}

// Manifest is plugin.json as far as the loader reads it.
type Manifest struct {
	ID           string        `json:"id"`
	Type         string        `json:"type"`
	Name         string        `json:"name"`
	Info         *Info         `json:"info"`
	Dependencies *Dependencies `json:"dependencies"`
	Backend      bool          `json:"backend"`
	Alerting     bool          `json:"alerting"`
	Annotations  bool          `json:"annotations"`
	Metrics      bool          `json:"metrics"`
	Executable   string        `json:"executable"`
	Includes     []Include     `json:"includes"`
}

// Plugin is a folder that passed the loader's checks.
type Plugin struct {
	Dir        string
	Manifest   Manifest
	Executable string // absolute path of <executable>_<os>_<arch>
	Signature  string // "unsigned" (the only state this host accepts, when allowed)
}

// Load checks DIR as Grafana does at discovery and validation time. allowUnsigned is the
// `[plugins] allow_loading_unsigned_plugins` list.
func Load(dir string, allowUnsigned []string) (*Plugin, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// A plugin folder with a dist/ subfolder is mounted from dist/.
	if st, err := os.Stat(filepath.Join(abs, "dist", "plugin.json")); err == nil && !st.IsDir() {
		abs = filepath.Join(abs, "dist")
	}
	manifest, err := readManifest(filepath.Join(abs, "plugin.json"))
	if err != nil {
		return nil, err
	}
	if dangling, err := DanglingSymlinks(abs); err != nil {
		return nil, err
	} else if len(dangling) > 0 {
		return nil, fmt.Errorf("plugin folder %s has links that point nowhere: %s", abs, strings.Join(dangling, ", "))
	}
	for _, inc := range manifest.Includes {
		if inc.Path == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(abs, inc.Path)); err != nil {
			return nil, fmt.Errorf("plugin.json includes %q (%s), which is missing: %w", inc.Name, inc.Path, err)
		}
	}
	signature, err := signatureState(abs, manifest.ID, allowUnsigned)
	if err != nil {
		return nil, err
	}
	p := &Plugin{Dir: abs, Manifest: *manifest, Signature: signature}
	if manifest.Backend {
		if p.Executable, err = executablePath(abs, manifest.Executable); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func readManifest(path string) (*Manifest, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("no plugin.json: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// validate applies the schema's required fields and the flag rules of the plugin.json reference.
func (m *Manifest) validate() error {
	var missing []string
	for name, empty := range map[string]bool{
		"id": m.ID == "", "type": m.Type == "", "name": m.Name == "",
		"info": m.Info == nil, "dependencies": m.Dependencies == nil,
	} {
		if empty {
			missing = append(missing, name)
		}
	}
	if m.Info != nil {
		for name, empty := range map[string]bool{
			"info.keywords": m.Info.Keywords == nil, "info.logos.small": m.Info.Logos["small"] == "",
			"info.logos.large": m.Info.Logos["large"] == "", "info.updated": m.Info.Updated == "",
			"info.version": m.Info.Version == "",
		} {
			if empty {
				missing = append(missing, name)
			}
		}
	}
	if m.Dependencies != nil && m.Dependencies.GrafanaDependency == "" {
		missing = append(missing, "dependencies.grafanaDependency")
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("required fields missing: %s", strings.Join(missing, ", "))
	}
	switch {
	case !slices.Contains([]string{"datasource", "panel", "app", "renderer", "secretsmanager"}, m.Type):
		return fmt.Errorf("unknown plugin type %q", m.Type)
	case m.Alerting && !m.Backend:
		return errors.New("alerting: true needs backend: true")
	case m.Backend && m.Executable == "":
		return errors.New("backend: true needs an executable")
	}
	return nil
}

// executablePath is Grafana's rule: <dir>/<executable>_<GOOS>_<lowercase GOARCH>, no fallback,
// and it must be an executable regular file.
func executablePath(dir, prefix string) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("%s_%s_%s", prefix, runtime.GOOS, strings.ToLower(runtime.GOARCH)))
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("backend executable: %w", err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("backend executable %s is not an executable file", path)
	}
	return path, nil
}

// signatureState: without MANIFEST.txt a plugin is unsigned, and an unsigned plugin loads only
// when its id is allowed. This host verifies no signatures, so a signed folder is refused rather
// than trusted unchecked.
func signatureState(dir, id string, allowUnsigned []string) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.txt")); err == nil {
		return "", errors.New("MANIFEST.txt present: this host does not verify signatures")
	}
	if !slices.Contains(allowUnsigned, id) {
		return "", fmt.Errorf("plugin %q is unsigned and not in allow_loading_unsigned_plugins %v", id, allowUnsigned)
	}
	return "unsigned", nil
}

// DanglingSymlinks lists the links under dir (relative paths) whose target does not exist;
// Grafana's finder walks the folder following links and stops at the first such one.
func DanglingSymlinks(dir string) ([]string, error) {
	var dangling []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if _, statErr := os.Stat(path); statErr != nil {
			rel, _ := filepath.Rel(dir, path)
			dangling = append(dangling, rel)
		}
		return nil
	})
	return dangling, err
}
