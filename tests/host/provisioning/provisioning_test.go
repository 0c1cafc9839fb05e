package provisioning

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExpandAll(t *testing.T) {
	env := map[string]string{"KEY": "secret", "REGION": "eu-de"}
	cases := []struct{ in, want string }{
		{"$KEY", "secret"},
		{"${KEY}", "secret"},
		{"cos://${REGION}/bucket/", "cos://eu-de/bucket/"},
		{"$MISSING", ""},
		{"$$KEY", "$KEY"},
		{"no variables", "no variables"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := expandAll(c.in, func(k string) string { return env[k] }); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("datasources/ds.yaml", `apiVersion: 1
datasources:
  - name: DS
    uid: ds1
    type: acme-datasource
    jsonData:
      region: ${REGION}
      literal: "$$__dest"
    secureJsonData:
      apiKey: $KEY
`)
	write("dashboards/d.yaml", "apiVersion: 1\nproviders:\n  - name: p\n    type: file\n    options:\n      path: "+filepath.Join(dir, "boards")+"\n")
	write("boards/one.json", `{"uid": "one", "title": "One"}`)
	write("alerting/rules.yaml", `apiVersion: 1
groups:
  - name: g
    rules:
      - uid: r1
        title: R
        condition: C
        data:
          - refId: A
            datasourceUid: ds1
            relativeTimeRange: {from: 600, to: 0}
            model: {rawSql: "SELECT $__timeFilter(t)"}
`)
	env := map[string]string{"KEY": "k", "REGION": "eu-de"}
	f, err := Load(dir, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ds := f.Datasources[0]
	if ds.OrgID != 1 || ds.JSONData["region"] != "eu-de" || ds.JSONData["literal"] != "$__dest" || ds.SecureJSONData["apiKey"] != "k" {
		t.Fatalf("datasource %+v", ds)
	}
	if f.Dashboards["one"]["title"] != "One" {
		t.Fatalf("dashboards %v", f.Dashboards)
	}
	rule := f.AlertRules[0]
	// alert rule files are not expanded: $__timeFilter is the plugin's macro
	if rule.Data[0].Model["rawSql"] != "SELECT $__timeFilter(t)" || rule.Data[0].RelativeTimeRange.From != 600 {
		t.Fatalf("rule %+v", rule)
	}
}
