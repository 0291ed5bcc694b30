package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestRouteJSON(t *testing.T) {
	code, out, _ := runCLI(t, "", nil, "route", "--json", "نحتاج سلة غذائية لعائلتي في الموصل")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not JSON: %q", out)
	}
	if d["language"] != "ar" || d["topic"] != "food" || d["agency"] != "WFP" || d["urgent"] != false {
		t.Errorf("decision %v", d)
	}
	if _, ok := d["support"].([]any); !ok {
		t.Errorf("support must be a list: %v", d["support"])
	}
	if m, ok := d["matched"].([]any); !ok || len(m) == 0 {
		t.Errorf("matched must explain the decision: %v", d["matched"])
	}
	keys := []string{}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip any
		dec.Decode(&skip)
	}
	if strings.Join(keys, ",") != "language,topic,agency,support,urgent,matched" {
		t.Errorf("keys %v", keys)
	}
	// From standard input.
	code, out, _ = runCLI(t, "My husband beats me and I have nowhere safe to go", nil, "route", "--json", "-")
	if code != 0 || !strings.Contains(out, `"urgent":true`) || !strings.Contains(out, `"agency":"UNFPA"`) {
		t.Errorf("stdin route: %d %s", code, out)
	}
	if code, _, errOut := runCLI(t, "  ", nil, "route"); code != 2 || errOut == "" {
		t.Errorf("empty text: exit %d", code)
	}
}

func TestConfigCheck(t *testing.T) {
	if code, out, _ := runCLI(t, "", nil, "config", "check"); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("default: %d %s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("staff:\n  - {id: a, agency: NOPE, role: boss}\n"), 0o600)
	code, out, _ := runCLI(t, "", nil, "config", "check", bad)
	if code != 1 || !strings.Contains(out, bad+":2: staff a: agency \"NOPE\"") || !strings.Contains(out, bad+":2: staff a: role \"boss\"") {
		t.Errorf("bad file: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", map[string]string{"NETDESK_REDIS_URL": "mysql://x"}, "config", "check")
	if code != 1 || !strings.Contains(out, "NETDESK_REDIS_URL") {
		t.Errorf("bad env: exit %d %s", code, out)
	}
	if code, _, _ := runCLI(t, "", map[string]string{"NETDESK_CONFIG": bad}, "config", "check"); code != 1 {
		t.Errorf("NETDESK_CONFIG bad file: exit %d", code)
	}
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := runCLI(t, "", nil, "version"); code != 0 || !strings.HasPrefix(out, "netdesk ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, "", nil, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d", code)
	}
	if code, _, _ := runCLI(t, "", map[string]string{"NETDESK_LOG_LEVEL": "loud"}, "serve"); code != 1 {
		t.Errorf("serve with a bad environment must exit 1, got %d", code)
	}
}
