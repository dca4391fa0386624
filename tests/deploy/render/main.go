// Command render renders a Helm chart the way `helm template` does, without
// Helm (which cannot be installed here). It follows Helm 3's engine
// (pkg/engine): one text/template set holding every file under templates/,
// option missingkey=zero, Sprig's text functions minus env/expandenv, Helm's
// include, tpl, required, toYaml/fromYaml/toJson/fromJson and lookup (empty,
// as without a cluster), "<no value>" erased, partials (_*) not rendered, and
// values read with sigs.k8s.io/yaml, so numbers are float64 exactly as in Helm.
// Values files are coalesced over the chart's values.yaml (null deletes a
// key). The chart's kubeVersion constraint is checked against the given
// Kubernetes version.
//
// Not implemented (the chart does not use them): subcharts, .Files, toToml,
// values.schema.json validation (the Node test does it with ajv).
//
// Usage: render -chart DIR [-f values.yaml ...] [-name R] [-namespace NS]
//
//	[-kube-version v1.29.0] [-api-versions a/v1,b/v1]
//
// Prints JSON {values, documents: [{template, object}], notes} on success;
// on a template error prints Helm's style of message on stderr and exits 1.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

// Metadata mirrors the fields of Helm's chart.Metadata that templates read
// as .Chart.X.
type Metadata struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	AppVersion  string   `json:"appVersion"`
	Description string   `json:"description"`
	APIVersion  string   `json:"apiVersion"`
	Type        string   `json:"type"`
	KubeVersion string   `json:"kubeVersion"`
	Keywords    []string `json:"keywords"`
}

// KubeVersion and VersionSet mirror chartutil's Capabilities pieces.
type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

func (k KubeVersion) String() string     { return k.Version }
func (k KubeVersion) GitVersion() string { return k.Version }

type VersionSet []string

// Has reports whether an apiVersion (or apiVersion/Kind) is served.
func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func readYAMLMap(file string) (map[string]interface{}, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return m, nil
}

// coalesce merges src over dst like Helm's CoalesceValues: src wins, tables
// merge recursively, and a null in src deletes the key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = coalesce(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

const warnStart, warnEnd = "HELM_ERR_START", "HELM_ERR_END"

var warnRegex = regexp.MustCompile(warnStart + `(.*)` + warnEnd)

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func funcMap(t *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromYamlArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := yaml.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	f["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["fromJsonArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			a = []interface{}{err.Error()}
		}
		return a
	}
	// Without a cluster, Helm's lookup returns an empty map.
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	included := map[string]int{}
	f["include"] = func(name string, data interface{}) (string, error) {
		if included[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		included[name]++
		defer func() { included[name]-- }()
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, vals map[string]interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		name := "tpl"
		if tmpl, ok := vals["Template"].(map[string]interface{}); ok {
			if n, ok := tmpl["Name"].(string); ok {
				name = n
			}
		}
		if _, err := clone.New(name).Parse(text); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		var buf strings.Builder
		if err := clone.ExecuteTemplate(&buf, name, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	// Helm's required: fails on nil and on the empty string, nothing else
	// (an empty list passes).
	f["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warnStart + warn + warnEnd)
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warnStart + warn + warnEnd)
		}
		return val, nil
	}
	return f
}

// cleanExecError shortens an execution error the way Helm prints it.
func cleanExecError(file string, err error) error {
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) == 3 {
		if parts := warnRegex.FindStringSubmatch(tokens[2]); len(parts) >= 2 {
			return fmt.Errorf("execution error at (%s): %s", tokens[1], parts[1])
		}
	}
	if parts := warnRegex.FindStringSubmatch(err.Error()); len(parts) >= 2 {
		return fmt.Errorf("execution error in (%s): %s", file, parts[1])
	}
	return err
}

// splitManifests splits like Helm's releaseutil.SplitManifests.
var sep = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

type document struct {
	Template string                 `json:"template"`
	Object   map[string]interface{} `json:"object"`
}

func run() error {
	chartDir := flag.String("chart", "", "chart directory")
	name := flag.String("name", "release", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	kubeVersion := flag.String("kube-version", "v1.29.0", "Kubernetes version of .Capabilities")
	apiVersions := flag.String("api-versions", "", "extra API versions of .Capabilities, comma separated")
	var valueFiles stringList
	flag.Var(&valueFiles, "f", "values file (repeatable; later files win)")
	flag.Parse()

	var meta Metadata
	data, err := os.ReadFile(filepath.Join(*chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return fmt.Errorf("Chart.yaml: %w", err)
	}
	kv, err := semver.NewVersion(*kubeVersion)
	if err != nil {
		return err
	}
	if meta.KubeVersion != "" {
		c, err := semver.NewConstraint(meta.KubeVersion)
		if err != nil {
			return fmt.Errorf("Chart.yaml kubeVersion: %w", err)
		}
		if !c.Check(kv) {
			return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", meta.KubeVersion, *kubeVersion)
		}
	}

	values, err := readYAMLMap(filepath.Join(*chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range valueFiles {
		user, err := readYAMLMap(f)
		if err != nil {
			return err
		}
		values = coalesce(values, user)
	}

	versions := VersionSet{"v1", "apps/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1"}
	if *apiVersions != "" {
		versions = append(versions, strings.Split(*apiVersions, ",")...)
	}
	top := map[string]interface{}{
		"Values": values,
		"Chart":  &meta,
		"Release": map[string]interface{}{
			"Name": *name, "Namespace": *namespace, "IsInstall": true, "IsUpgrade": false,
			"Revision": 1, "Service": "Helm",
		},
		"Capabilities": &Capabilities{
			KubeVersion: KubeVersion{Version: kv.Original(), Major: fmt.Sprint(kv.Major()), Minor: fmt.Sprint(kv.Minor())},
			APIVersions: versions,
		},
	}

	// Every file under templates/, named as Helm names them.
	files := map[string]string{}
	root := filepath.Join(*chartDir, "templates")
	err = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(*chartDir, p)
		content, err := os.ReadFile(p)
		files[path.Join(meta.Name, filepath.ToSlash(rel))] = string(content)
		return err
	})
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)

	t := template.New("gotpl").Option("missingkey=zero")
	t.Funcs(funcMap(t))
	for _, n := range names {
		if _, err := t.New(n).Parse(files[n]); err != nil {
			return fmt.Errorf("parse error in (%s): %w", n, err)
		}
	}

	out := struct {
		Values    map[string]interface{} `json:"values"`
		Documents []document             `json:"documents"`
		Notes     string                 `json:"notes"`
	}{Values: values, Documents: []document{}}
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "_") {
			continue
		}
		top["Template"] = map[string]interface{}{"Name": n, "BasePath": path.Join(meta.Name, "templates")}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, n, top); err != nil {
			return cleanExecError(n, err)
		}
		rendered := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.HasSuffix(n, "NOTES.txt") {
			out.Notes = rendered
			continue
		}
		for _, doc := range sep.Split(rendered, -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			obj := map[string]interface{}{}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				return fmt.Errorf("YAML parse error in %s: %w\n%s", n, err, doc)
			}
			if len(obj) == 0 { // only comments
				continue
			}
			out.Documents = append(out.Documents, document{Template: n, Object: obj})
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
