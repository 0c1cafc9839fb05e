// Package provisioning reads a folder laid out like Grafana's conf/provisioning: datasources,
// dashboard providers and alert rules, as Grafana's file provisioning reads them at startup.
package provisioning

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Datasource is one entry of datasources/*.yaml after $VAR expansion.
type Datasource struct {
	OrgID          int64             `yaml:"orgId"`
	Name           string            `yaml:"name"`
	UID            string            `yaml:"uid"`
	Type           string            `yaml:"type"`
	Access         string            `yaml:"access"`
	IsDefault      bool              `yaml:"isDefault"`
	Editable       bool              `yaml:"editable"`
	JSONData       map[string]any    `yaml:"jsonData"`
	SecureJSONData map[string]string `yaml:"secureJsonData"`
}

// AlertQuery is one entry of a rule's `data`: a datasource query or a server-side expression.
type AlertQuery struct {
	RefID             string `yaml:"refId"`
	DatasourceUID     string `yaml:"datasourceUid"`
	RelativeTimeRange struct {
		From int64 `yaml:"from"` // seconds before now
		To   int64 `yaml:"to"`
	} `yaml:"relativeTimeRange"`
	Model map[string]any `yaml:"model"`
}

// AlertRule is one rule of alerting/*.yaml.
type AlertRule struct {
	UID          string            `yaml:"uid"`
	Title        string            `yaml:"title"`
	Condition    string            `yaml:"condition"`
	Data         []AlertQuery      `yaml:"data"`
	NoDataState  string            `yaml:"noDataState"`
	ExecErrState string            `yaml:"execErrState"`
	Labels       map[string]string `yaml:"labels"`
}

// Folder is everything provisioned from one folder.
type Folder struct {
	Datasources []Datasource
	Dashboards  map[string]map[string]any // by uid
	AlertRules  []AlertRule
}

// Load reads DIR/datasources, DIR/dashboards and DIR/alerting; getenv expands $VAR and ${VAR}
// in the datasource files (a missing folder provisions nothing, as in Grafana).
func Load(dir string, getenv func(string) string) (*Folder, error) {
	f := &Folder{Dashboards: map[string]map[string]any{}}
	err := eachYAML(filepath.Join(dir, "datasources"), func(doc map[string]any) error {
		var file struct {
			Datasources []Datasource `yaml:"datasources"`
		}
		if err := reDecode(expandAll(doc, getenv), &file); err != nil {
			return err
		}
		for _, ds := range file.Datasources {
			if ds.OrgID == 0 {
				ds.OrgID = 1
			}
			f.Datasources = append(f.Datasources, ds)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := eachYAML(filepath.Join(dir, "dashboards"), f.addDashboards); err != nil {
		return nil, err
	}
	err = eachYAML(filepath.Join(dir, "alerting"), func(doc map[string]any) error {
		var file struct {
			Groups []struct {
				Rules []AlertRule `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := reDecode(doc, &file); err != nil {
			return err
		}
		for _, g := range file.Groups {
			f.AlertRules = append(f.AlertRules, g.Rules...)
		}
		return nil
	})
	return f, err
}

// addDashboards loads every *.json dashboard under the path of each `type: file` provider.
func (f *Folder) addDashboards(doc map[string]any) error {
	var file struct {
		Providers []struct {
			Name    string `yaml:"name"`
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := reDecode(doc, &file); err != nil {
		return err
	}
	for _, p := range file.Providers {
		if p.Type != "" && p.Type != "file" {
			continue
		}
		paths, err := filepath.Glob(filepath.Join(p.Options.Path, "*.json"))
		if err != nil {
			return err
		}
		if len(paths) == 0 {
			return fmt.Errorf("dashboard provider %q: no *.json in %s", p.Name, p.Options.Path)
		}
		for _, path := range paths {
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var dashboard map[string]any
			if err := json.Unmarshal(raw, &dashboard); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			uid, _ := dashboard["uid"].(string)
			if uid == "" {
				return fmt.Errorf("%s: dashboard without uid", path)
			}
			f.Dashboards[uid] = dashboard
		}
	}
	return nil
}

// eachYAML parses every *.yaml/*.yml file of dir, in name order.
func eachYAML(dir string, use func(map[string]any) error) error {
	var paths []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		found, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		paths = append(paths, found...)
	}
	sort.Strings(paths)
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := use(doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// expandAll replaces $VAR and ${VAR} in every string value (keys stay as written); $$ is a
// literal $, as in Grafana's provisioning.
func expandAll(value any, getenv func(string) string) any {
	switch v := value.(type) {
	case string:
		return os.Expand(v, func(name string) string {
			if name == "$" {
				return "$"
			}
			return getenv(name)
		})
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = expandAll(item, getenv)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = expandAll(item, getenv)
		}
		return out
	default:
		return value
	}
}

// reDecode turns the generic document into the typed one through YAML again.
func reDecode(doc any, into any) error {
	raw, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(raw, into)
}
