package main

import (
	"bytes"
	"errors"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The deployment artefacts are checked here, not run: no container engine
// or cluster runs on the machines that test Candour.

// toolPath finds a checking tool built by scripts/tool-binary.sh: from env,
// else in its cache. The checks never skip: without the tool they fail and
// say how to build it (make test does).
func toolPath(t *testing.T, env, name, version string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	cache := os.Getenv("CANDOUR_CACHE")
	if cache == "" {
		cache = filepath.Join(home, ".cache", "candour")
	}
	p := filepath.Join(cache, name+"-"+version, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is not built: run scripts/tool-binary.sh %s (make test does)", name, name)
	}
	return p
}

// TestExampleConfigurationCoversEverySetting: deploy/candour.env.example
// names every flag of candour server, and nothing else.
func TestExampleConfigurationCoversEverySetting(t *testing.T) {
	out, _ := exec.Command(binary, "server", "-h").CombinedOutput()
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(string(out), -1) {
		if m[1] != "config" {
			flags = append(flags, "CANDOUR_"+strings.ToUpper(strings.ReplaceAll(m[1], "-", "_")))
		}
	}
	if len(flags) < 30 {
		t.Fatalf("read only %d flags from candour server -h", len(flags))
	}
	example, err := os.ReadFile("../../deploy/candour.env.example")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range regexp.MustCompile(`(?m)^(CANDOUR_[A-Z0-9_]+)=`).FindAllStringSubmatch(string(example), -1) {
		keys = append(keys, m[1])
	}
	for _, f := range flags {
		if !slices.Contains(keys, f) {
			t.Errorf("the example configuration lacks %s", f)
		}
	}
	for _, k := range keys {
		if !slices.Contains(flags, k) {
			t.Errorf("the example configuration names %s, which is no setting of candour server", k)
		}
	}
}

// TestSystemdUnit: systemd-analyze verifies the unit, and rates its
// exposure at 2.0 or less.
func TestSystemdUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze is missing: run scripts/test-setup.sh (make test does)")
	}
	unit, err := os.ReadFile("../../deploy/systemd/candour.service")
	if err != nil {
		t.Fatal(err)
	}
	// The unit as installed, with the binary where it says.
	dir := t.TempDir()
	installed := filepath.Join(dir, "candour.service")
	os.WriteFile(installed, bytes.ReplaceAll(unit, []byte("/usr/local/bin/candour"), []byte(binary)), 0o644)
	if out, err := exec.Command(analyze, "verify", installed).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(analyze, "security", "--offline=true", installed).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Overall exposure level for candour.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Errorf("exposure %.1f, want at most 2.0:\n%s", level, out)
	}
	t.Logf("systemd-analyze security: exposure %s", m[1])
}

// TestDockerfile: multi-stage, static, non-root, bases pinned by digest,
// OCI labels.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532:65532", `ENTRYPOINT ["/usr/local/bin/candour"]`,
		"gcr.io/distroless/static-debian12:nonroot@sha256:", "org.opencontainers.image.source", "org.opencontainers.image.revision",
		"org.opencontainers.image.licenses", "AS build", "COPY --from=build"} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^ARG [A-Z_]+_IMAGE=(\S+)`).FindAllStringSubmatch(df, -1) {
		if !regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).MatchString(m[1]) {
			t.Errorf("base image %s is not pinned by digest", m[1])
		}
	}
}

// TestHelmChart: helm lint --strict passes, the chart renders, kube-score
// finds nothing critical, and every pod of it keeps the restricted Pod
// Security Standard, so a change that weakens it fails here.
func TestHelmChart(t *testing.T) {
	helm := toolPath(t, "CANDOUR_HELM_BIN", "helm", "3.22.0")
	score := toolPath(t, "CANDOUR_KUBE_SCORE_BIN", "kube-score", "1.20.0")
	chart := "../../deploy/helm/candour"
	home := t.TempDir() // helm keeps nothing of ours
	env := append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	run := func(name string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
		return out
	}
	run(helm, "lint", "--strict", chart)
	rendered := run(helm, "template", "candour", chart, "--namespace", "candour")
	manifests := filepath.Join(t.TempDir(), "candour.yaml")
	os.WriteFile(manifests, rendered, 0o644)
	out := run(score, "score", "--output-format", "ci", manifests)
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.HasPrefix(line, "[CRITICAL]") {
			t.Errorf("kube-score: %s", line)
		}
	}

	kinds := map[string]int{}
	dec := yaml.NewDecoder(bytes.NewReader(rendered))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if doc == nil {
			continue
		}
		kind, _ := doc["kind"].(string)
		kinds[kind]++
		var pod map[string]any
		switch kind {
		case "Deployment":
			spec := dig(doc, "spec").(map[string]any)
			if n, _ := spec["replicas"].(int); n < 2 {
				t.Errorf("the Deployment runs %v replicas, want at least 2", spec["replicas"])
			}
			pod = dig(doc, "spec", "template", "spec").(map[string]any)
			c := dig(pod, "containers").([]any)[0].(map[string]any)
			if dig(c, "livenessProbe", "httpGet", "path") != "/livez" || dig(c, "readinessProbe", "httpGet", "path") != "/readyz" {
				t.Error("the probes are not /livez and /readyz")
			}
			if dig(c, "resources", "limits", "memory") == nil || dig(c, "resources", "requests", "cpu") == nil {
				t.Error("the container has no resource requests and limits")
			}
		case "Job":
			pod = dig(doc, "spec", "template", "spec").(map[string]any)
			c := dig(pod, "containers").([]any)[0].(map[string]any)
			if args := dig(c, "args").([]any); len(args) != 2 || args[0] != "migrate" || args[1] != "up" {
				t.Errorf("the migration Job runs %v", args)
			}
		case "NetworkPolicy":
			if types := dig(doc, "spec", "policyTypes").([]any); !slices.Contains(types, any("Egress")) {
				t.Error("the NetworkPolicy does not restrict egress")
			}
			if n := len(dig(doc, "spec", "egress").([]any)); n != 4 {
				t.Errorf("%d egress rules, want PostgreSQL, Vault, the identity provider and DNS", n)
			}
		}
		if pod == nil {
			continue
		}
		for _, check := range []struct {
			path []string
			want any
		}{
			{[]string{"securityContext", "runAsNonRoot"}, true},
			{[]string{"securityContext", "seccompProfile", "type"}, "RuntimeDefault"},
		} {
			if got := dig(pod, check.path...); got != check.want {
				t.Errorf("%s pod %s = %v, want %v", kind, strings.Join(check.path, "."), got, check.want)
			}
		}
		for _, c := range dig(pod, "containers").([]any) {
			sc := dig(c.(map[string]any), "securityContext")
			for _, check := range []struct {
				path []string
				want any
			}{
				{[]string{"allowPrivilegeEscalation"}, false},
				{[]string{"readOnlyRootFilesystem"}, true},
				{[]string{"runAsNonRoot"}, true},
				{[]string{"privileged"}, false},
			} {
				if got := dig(sc, check.path...); got != check.want {
					t.Errorf("%s container %s = %v, want %v", kind, strings.Join(check.path, "."), got, check.want)
				}
			}
			if drop, _ := dig(sc, "capabilities", "drop").([]any); !slices.Contains(drop, any("ALL")) {
				t.Errorf("%s container drops capabilities %v, want ALL", kind, drop)
			}
			if add := dig(sc, "capabilities", "add"); add != nil {
				t.Errorf("%s container adds capabilities %v", kind, add)
			}
		}
		if dig(pod, "hostNetwork") == true || dig(pod, "hostPID") == true {
			t.Errorf("%s pod shares the host's namespaces", kind)
		}
	}
	for _, k := range []string{"Deployment", "Service", "ConfigMap", "NetworkPolicy", "PodDisruptionBudget", "Job", "ServiceAccount"} {
		if kinds[k] != 1 {
			t.Errorf("the chart renders %d %s, want 1", kinds[k], k)
		}
	}
	if kinds["Secret"] != 0 {
		t.Error("the chart renders a Secret: secrets are read from Secrets the operator creates, never from values")
	}
}

// dig follows keys through nested maps; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestServerErrorLogHasNoAddresses: the HTTP server's own error lines
// reach the log without the client's address.
func TestServerErrorLogHasNoAddresses(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http: TLS handshake error from 203.0.113.7:51234: EOF\n", "http: TLS handshake error from [address]: EOF"},
		{"http: TLS handshake error from [2001:db8::1]:443: remote error", "http: TLS handshake error from [address]: remote error"},
		{"http2: error reading preface from client 198.51.100.20", "http2: error reading preface from client [address]"},
		{"http: Accept error: too many open files; retrying in 5ms", "http: Accept error: too many open files; retrying in 5ms"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		l := log.New(addressFree{slog.New(slog.NewTextHandler(&buf, nil))}, "", 0)
		l.Print(tt.in)
		if !strings.Contains(buf.String(), strconv.Quote(tt.want)) {
			t.Errorf("%q logged as %s, want %q", tt.in, buf.String(), tt.want)
		}
	}
}
