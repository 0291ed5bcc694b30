package inbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestDump(t *testing.T) {
	files, _ := filepath.Glob("testdata/mail/*.eml")
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		m := Normalize(raw, Limits{})
		b, _ := json.MarshalIndent(m, "", "  ")
		t.Logf("%s\n%s", f, b)
	}
}
