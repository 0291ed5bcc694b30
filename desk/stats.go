package desk

import (
	"context"
	"slices"
	"time"

	"github.com/unmigration-iraq/netdesk/inquiry"
)

// statsWindow is how far back statistics look.
const statsWindow = 30 * 24 * time.Hour

// AgencyStats are one agency's figures.
type AgencyStats struct {
	Agency   string                  `json:"agency"`
	ByStatus map[inquiry.Status]int  `json:"by_status"`
	Open     int                     `json:"open"`   // status open: waiting for staff
	Active   int                     `json:"active"` // not closed
	Overdue  int                     `json:"overdue"`
	Urgent   int                     `json:"urgent"`
	ByTopic  map[string]int          `json:"by_topic"`
	ByChan   map[inquiry.Channel]int `json:"by_channel"`
	// MedianFirstResponseSeconds is over inquiries of the window that got one.
	MedianFirstResponseSeconds *float64 `json:"median_first_response_seconds"`
	firstResponses             []float64
}

// Stats are the desk's figures: inquiries created in the last 30 days and
// every inquiry still not closed.
type Stats struct {
	Since    time.Time      `json:"since"`
	Agencies []*AgencyStats `json:"agencies"`
	Total    int            `json:"total"`
	Overdue  int            `json:"overdue"`
	// MedianFirstResponseSeconds is over every agency in view.
	MedianFirstResponseSeconds *float64 `json:"median_first_response_seconds"`
	// Counters are all-time anonymous totals (kept after erasure).
	Counters map[string]int64 `json:"counters,omitempty"`
}

// Stats computes the figures the actor may see: agents their agency's,
// coordinators and admins every agency's.
func (d *Desk) Stats(ctx context.Context, a Actor) (*Stats, error) {
	since := d.now().Add(-statsWindow)
	refs, err := d.store.Since(ctx, since)
	if err != nil {
		return nil, err
	}
	recent, err := d.store.Records(ctx, refs)
	if err != nil {
		return nil, err
	}
	var agencies []string
	for _, ag := range d.cfg.Agencies {
		if a.SeesAll() || ag.ID == a.Agency {
			agencies = append(agencies, ag.ID)
		}
	}
	open, err := d.store.Queue(ctx, agencies, false, 0)
	if err != nil {
		return nil, err
	}
	seen := map[inquiry.Reference]bool{}
	per := map[string]*AgencyStats{}
	st := &Stats{Since: since}
	for _, id := range agencies {
		s := &AgencyStats{Agency: id, ByStatus: map[inquiry.Status]int{}, ByTopic: map[string]int{}, ByChan: map[inquiry.Channel]int{}}
		per[id] = s
		st.Agencies = append(st.Agencies, s)
	}
	var all []float64
	for _, q := range slices.Concat(recent, open) {
		if seen[q.Reference] {
			continue
		}
		seen[q.Reference] = true
		s, ok := per[q.Agency]
		if !ok {
			continue
		}
		st.Total++
		s.ByStatus[q.Status]++
		s.ByTopic[q.Topic]++
		s.ByChan[q.Channel]++
		if q.Status == inquiry.Open {
			s.Open++
		}
		if q.Status != inquiry.Closed {
			s.Active++
		}
		if q.Status != inquiry.Closed && q.Urgent {
			s.Urgent++
		}
		if d.Overdue(q) {
			s.Overdue++
			st.Overdue++
		}
		if !q.FirstResponseAt.IsZero() && !q.CreatedAt.Before(since) {
			v := q.FirstResponseAt.Sub(q.CreatedAt).Seconds()
			s.firstResponses = append(s.firstResponses, v)
			all = append(all, v)
		}
	}
	for _, s := range st.Agencies {
		s.MedianFirstResponseSeconds = median(s.firstResponses)
	}
	st.MedianFirstResponseSeconds = median(all)
	if a.SeesAll() {
		st.Counters, _ = d.store.Counters(ctx)
	}
	return st, nil
}

func median(v []float64) *float64 {
	if len(v) == 0 {
		return nil
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return &m
}
