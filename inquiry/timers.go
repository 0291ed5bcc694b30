package inquiry

import "time"

// Timer kinds: what the scheduler does when a timer falls due.
const (
	TimerRemind    = "remind"    // first-response reminder to the agency group
	TimerEscalate  = "escalate"  // escalation to the secretariat
	TimerCheckIn   = "checkin"   // ask the person whether the answer helped
	TimerAutoClose = "autoclose" // close after an unanswered check-in
	TimerRetention = "retention" // erase personal data of a closed inquiry
)

// Policy holds the follow-up delays of SPEC §9.
type Policy struct {
	FirstResponse, EscalateAfter, CheckInAfter, AutoCloseAfter, Retention time.Duration
}

// Timer is one follow-up due at a time.
type Timer struct {
	Kind string
	At   time.Time
}

// Timers returns the follow-ups the inquiry's state calls for. They are
// derived from the state alone, so any change (a claim, a reply, a new
// message) moves or cancels them without a separate bookkeeping step.
func (q *Inquiry) Timers(p Policy) []Timer {
	var ts []Timer
	switch q.Status {
	case Open:
		if q.Erased {
			break
		}
		if !q.Reminded && p.FirstResponse > 0 {
			ts = append(ts, Timer{TimerRemind, q.OpenedAt.Add(p.FirstResponse)})
		}
		if !q.Overdue && p.EscalateAfter > 0 {
			ts = append(ts, Timer{TimerEscalate, q.OpenedAt.Add(p.EscalateAfter)})
		}
	case Answered:
		if q.CheckInAt.IsZero() {
			if p.CheckInAfter > 0 {
				ts = append(ts, Timer{TimerCheckIn, q.AnsweredAt.Add(p.CheckInAfter)})
			}
		} else if p.AutoCloseAfter > 0 {
			ts = append(ts, Timer{TimerAutoClose, q.CheckInAt.Add(p.AutoCloseAfter)})
		}
	case Closed:
		if !q.Erased && p.Retention > 0 {
			ts = append(ts, Timer{TimerRetention, q.ClosedAt.Add(p.Retention)})
		}
	}
	return ts
}
