package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// One filter parser for the API and the dashboard: they once disagreed on
// overdue=true.
func TestParseFilter(t *testing.T) {
	for _, tc := range []struct {
		query   string
		overdue bool
		limit   int
		bad     bool
	}{
		{"overdue=true", true, 0, false},
		{"overdue=1", true, 0, false},
		{"overdue=0", false, 0, false},
		{"overdue=yes", false, 0, false},
		{"limit=10&agency=WFP", false, 10, false},
		{"limit=0", false, 0, true},
		{"limit=1001", false, 0, true},
		{"limit=abc", false, 0, true},
		{"limit=-5", false, 0, true},
	} {
		t.Run(tc.query, func(t *testing.T) {
			q, _ := url.ParseQuery(tc.query)
			f, err := parseFilter(q)
			if (err != nil) != tc.bad || (err != nil && inquiry.ErrorCode(err) != inquiry.EINVALID) {
				t.Fatalf("err = %v, want bad=%v", err, tc.bad)
			}
			if err == nil && (f.Overdue != tc.overdue || f.Limit != tc.limit) {
				t.Errorf("filter %+v", f)
			}
		})
	}
}

// One mapping from errors to statuses: a wrapped outage is 503 with a safe
// message, an internal error 500 without its details.
func TestStatusFor(t *testing.T) {
	outage := inquiry.Wrap(inquiry.EUNAVAILABLE, "the store is unavailable; try again shortly", errors.New("dial tcp 10.0.0.5:6379: refused"))
	for _, tc := range []struct {
		err    error
		status int
		msg    string
	}{
		{fmt.Errorf("load: %w", outage), http.StatusServiceUnavailable, "the store is unavailable; try again shortly"},
		{inquiry.Errorf(inquiry.ENOTFOUND, "no inquiry NM-AAAAAA"), http.StatusNotFound, "no inquiry NM-AAAAAA"},
		{errors.New("redis: secret detail"), http.StatusInternalServerError, "internal error"},
	} {
		if _, status, msg := statusFor(tc.err); status != tc.status || msg != tc.msg {
			t.Errorf("statusFor(%v) = %d %q", tc.err, status, msg)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", outage), outage.Err) {
		t.Error("the outage's cause is not reachable with errors.Is")
	}
}
