package router

import "testing"

func TestProbeNB(t *testing.T) {
	r := newDefault(t)
	for _, f := range []string{devFile, heldoutFile} {
		ex := readExamples(t, f)
		ok, used, usedOK := 0, 0, 0
		for _, e := range ex {
			toks := tokens(e.Text)
			post, _ := r.model.posterior(toks)
			k := argmax(post)
			if r.topics[k].ID == e.Topic {
				ok++
			} else {
				t.Logf("nb wrong: want %s got %s p=%.2f %q", e.Topic, r.topics[k].ID, post[k], e.Text)
			}
			d := r.Route(e.Text, "")
			for _, m := range d.Matched {
				if len(m) > 0 && contains(m, "model:nb") {
					used++
					if d.Topic == e.Topic {
						usedOK++
					}
					t.Logf("model used: %v", d.Matched)
				}
			}
		}
		t.Logf("%s: nb alone %d/%d; model used %d, right %d", f, ok, len(ex), used, usedOK)
	}
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)) }
