package router

import (
	"os"
	"testing"
)

// TestTune reports the validation split's figures (NETDESK_TUNE=1 go test
// -run Tune -v ./router): the split that settings are chosen on. The
// held-out split is never looked at while tuning.
func TestTune(t *testing.T) {
	if os.Getenv("NETDESK_TUNE") == "" {
		t.Skip("set NETDESK_TUNE=1")
	}
	r, err := New(loadTopics(t))
	if err != nil {
		t.Fatal(err)
	}
	val := corpusSplit(t, splitValidation)
	res := evaluate(r, val, false)
	res.log(t, "validation", os.Getenv("NETDESK_TUNE") == "v")

	for _, th := range []float64{0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6} {
		hit, all, fa, calm := 0, 0, 0, 0
		for _, e := range val {
			p := r.Route(e.Text, "").UrgentP
			if e.Urgent {
				all++
				if p >= th {
					hit++
				}
			} else {
				calm++
				if p >= th {
					fa++
				}
			}
		}
		t.Logf("urgent threshold %.2f: recall %d/%d = %.1f%%, false %d/%d = %.1f%%", th, hit, all, pct(hit, all), fa, calm, pct(fa, calm))
	}
}
