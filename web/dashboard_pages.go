package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/inquiry"
)

// option is one <option> of a <select>.
type option struct {
	Value, Label string
	Selected     bool
}

// queueItem is one line of the queue.
type queueItem struct {
	inquiry.Summary
	Title      string // subject, else topic
	HasSubject bool
	Topic      string
	Language   string
	Status     string
	Channel    string
	Agencies   string
	Assignee   string
	Age        string
	When       string
}

// count is one figure above the queue, linking to its filter.
type count struct {
	Label string
	N     int
	Href  string
	Class string
	On    bool
}

type queueView struct {
	Scope      string
	ShowAgency bool
	Agencies   []option
	Statuses   []option
	Topics     []option
	Channels   []option
	Overdue    bool
	Filtered   bool
	Counts     []count
	Items      []queueItem
	Updated    string
	Self       string
}

// queuePage is GET /queue?agency=&status=&topic=&channel=&overdue=1
func (d *Dashboard) queuePage(w http.ResponseWriter, r *http.Request, p *page, a desk.Actor, _ *session) error {
	ctx := r.Context()
	q := r.URL.Query()
	f, err := parseFilter(q)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = 500
	}
	list, err := d.desk.Queue(ctx, a, f)
	if err != nil {
		return err
	}
	// The figures are over the active queue in the same scope.
	active := list
	if f.Status != "" || f.Overdue {
		if active, err = d.desk.Queue(ctx, a, desk.Filter{Agency: f.Agency, Topic: f.Topic, Channel: f.Channel, Limit: 1000}); err != nil {
			return err
		}
	}
	v := queueView{ShowAgency: a.SeesAll(), Overdue: f.Overdue, Updated: d.now().In(d.loc).Format("15:04"), Self: r.URL.RequestURI(),
		Filtered: f.Agency != "" || f.Status != "" || f.Topic != "" || f.Channel != "" || f.Overdue}
	switch {
	case f.Agency != "":
		v.Scope = f.Agency
	case a.SeesAll():
		v.Scope = p.T("queue.all")
	default:
		v.Scope = a.Agency
	}
	v.Agencies = []option{{"", p.T("queue.all"), f.Agency == ""}}
	for _, ag := range d.cfg.Agencies {
		v.Agencies = append(v.Agencies, option{ag.ID, ag.ID + " — " + ag.Name, ag.ID == f.Agency})
	}
	v.Statuses = []option{{"", p.T("status.active"), f.Status == ""}}
	for _, s := range []inquiry.Status{inquiry.Open, inquiry.Claimed, inquiry.Answered, inquiry.Closed} {
		v.Statuses = append(v.Statuses, option{string(s), p.Label("status", string(s)), s == f.Status})
	}
	v.Topics = []option{{"", p.T("f.any"), f.Topic == ""}}
	for _, t := range d.cfg.Topics {
		v.Topics = append(v.Topics, option{t.ID, p.Label("topic", t.ID), t.ID == f.Topic})
	}
	v.Channels = []option{{"", p.T("f.any"), f.Channel == ""}}
	for _, c := range []inquiry.Channel{inquiry.Web, inquiry.Telegram, inquiry.Email} {
		v.Channels = append(v.Channels, option{string(c), p.Label("channel", string(c)), c == f.Channel})
	}

	by := map[string]int{}
	for _, s := range active {
		by[string(s.Status)]++
		if s.Overdue {
			by["overdue"]++
		}
		if s.Urgent {
			by["urgent"]++
		}
	}
	link := func(key, value string) string {
		u := url.Values{}
		for _, k := range []string{"agency", "topic", "channel"} {
			if q.Get(k) != "" {
				u.Set(k, q.Get(k))
			}
		}
		if key != "" {
			u.Set(key, value)
		}
		if len(u) == 0 {
			return "/queue"
		}
		return "/queue?" + u.Encode()
	}
	v.Counts = []count{
		{p.T("count.active"), len(active), link("", ""), "c-active", f.Status == "" && !f.Overdue},
		{p.T("status.open"), by["open"], link("status", "open"), "c-open", f.Status == inquiry.Open},
		{p.T("status.claimed"), by["claimed"], link("status", "claimed"), "c-claimed", f.Status == inquiry.Claimed},
		{p.T("status.answered"), by["answered"], link("status", "answered"), "c-answered", f.Status == inquiry.Answered},
		{p.T("badge.overdue"), by["overdue"], link("overdue", "1"), "c-overdue", f.Overdue},
		{p.T("badge.urgent"), by["urgent"], "", "c-urgent", false},
	}
	now := d.now()
	for _, s := range list {
		it := queueItem{Summary: s, Topic: p.Label("topic", s.Topic), Status: p.Label("status", string(s.Status)),
			Channel: p.Label("channel", string(s.Channel)), Agencies: strings.Join(append([]string{s.Agency}, s.Support...), " · "),
			Age: p.Tf("ago", d.duration(p, now.Sub(s.CreatedAt))), When: d.when(p, s.CreatedAt)}
		it.Title, it.HasSubject = s.Subject, s.Subject != ""
		if !it.HasSubject {
			it.Title = it.Topic
		}
		it.Language = p.Label("lang", s.Language)
		if s.Assignee != "" {
			it.Assignee = d.staffName(s.Assignee)
		}
		v.Items = append(v.Items, it)
	}
	p.Title, p.V, p.Refresh = p.T("queue.title"), v, 60
	d.render(w, http.StatusOK, "queue", p)
	return nil
}

// messageItem is one message of the conversation.
type messageItem struct {
	In          bool
	Author      string
	Channel     string
	ChannelID   string
	When        string
	ISO         string
	Text        string
	Erased      bool
	Flagged     bool
	Edited      bool
	Attachments []attachmentItem
}

type attachmentItem struct {
	Name, Type, Size string
}

type auditItem struct {
	When, Who, What, Detail string
}

type inqPage struct {
	Q           *inquiry.Inquiry
	Title       string
	Topic       string
	Status      string
	Channel     string
	Language    string
	Created     string
	Updated     string
	Assignee    string
	Person      string
	Overdue     bool
	Messages    []messageItem
	Audit       []auditItem
	Matched     []string
	CanClaim    bool
	Yours       bool
	CanClose    bool
	CanAssign   bool
	CanReply    bool
	CanErase    bool
	Deliverable bool
	DeliverNote string
	Agencies    []option
	Draft       string
	Reason      string
	AssignTo    string
}

// inquiryPage is GET /inquiries/{ref}. desk.Get audits views of sensitive
// inquiries; another agency's reference answers 404.
func (d *Dashboard) inquiryPage(w http.ResponseWriter, r *http.Request, p *page, a desk.Actor, _ *session) error {
	ref, err := reference(r)
	if err != nil {
		return err
	}
	if k := r.URL.Query().Get("done"); k != "" {
		if s := translate(p.Lang, "done."+k, ""); s != "" {
			p.Notice = s
		}
	}
	return d.showInquiry(w, r, p, a, ref, http.StatusOK, inqPage{})
}

// showInquiry renders an inquiry; status and form (a draft kept after a
// refused action) come from the caller.
func (d *Dashboard) showInquiry(w http.ResponseWriter, r *http.Request, p *page, a desk.Actor, ref inquiry.Reference, status int, form inqPage) error {
	ctx := r.Context()
	q, err := d.desk.Get(ctx, a, ref)
	if err != nil {
		return err
	}
	trail, err := d.desk.AuditTrail(ctx, a, ref)
	if err != nil {
		return err
	}
	v := inqPage{Q: q, Draft: form.Draft, Reason: form.Reason, AssignTo: form.AssignTo,
		Topic: p.Label("topic", q.Topic), Status: p.Label("status", string(q.Status)),
		Channel: p.Label("channel", string(q.Channel)), Language: p.Label("lang", q.Language),
		Created: d.when(p, q.CreatedAt), Updated: d.when(p, q.UpdatedAt), Overdue: d.desk.Overdue(q), Matched: q.Matched}
	v.Title = q.Subject
	if v.Title == "" {
		v.Title = v.Topic
	}
	if q.Assignee != "" {
		v.Assignee = d.staffName(q.Assignee)
	}
	v.Person = q.Contact.Name
	if (q.Contact.Channel == inquiry.Email || q.Contact.Channel == inquiry.Web) && strings.Contains(q.Contact.Address, "@") {
		if v.Person != "" {
			v.Person += " · "
		}
		v.Person += q.Contact.Address
	}
	for _, m := range q.Messages {
		it := messageItem{In: m.Direction == inquiry.In, Channel: p.Label("channel", string(m.Channel)), ChannelID: string(m.Channel),
			When: d.when(p, m.At), ISO: m.At.UTC().Format(time.RFC3339), Text: m.Text, Erased: q.Erased && m.Text == "", Flagged: m.Flagged, Edited: m.Edited}
		switch {
		case it.In && (m.Author == "" || m.Author == "person"):
			it.Author = p.T("actor.person")
		case it.In:
			it.Author = m.Author
		case m.Author == "system" || m.Author == "":
			it.Author = p.T("actor.system")
		default:
			it.Author = d.staffName(m.Author)
		}
		for _, at := range m.Attachments {
			name := at.Name
			if name == "" {
				name = "—"
			}
			it.Attachments = append(it.Attachments, attachmentItem{Name: name, Type: at.Type, Size: byteSize(at.Size)})
		}
		v.Messages = append(v.Messages, it)
	}
	for _, e := range slices.Backward(trail) {
		who := d.staffName(e.Actor)
		if e.Actor == "system" || e.Actor == "person" {
			who = p.T("actor." + e.Actor)
		}
		v.Audit = append(v.Audit, auditItem{When: d.when(p, e.At), Who: who, What: p.Label("audit", string(e.Action)), Detail: e.Detail})
	}
	open := q.Status != inquiry.Closed
	v.Yours = q.Status == inquiry.Claimed && q.Assignee == a.ID
	v.CanClaim = open && !v.Yours
	v.CanClose = open
	v.CanAssign = open
	v.CanReply = !q.Erased
	v.CanErase = a.Role == config.RoleAdmin && !q.Erased
	v.Deliverable = d.deliverable(q)
	if v.Deliverable {
		v.DeliverNote = p.Tf("inq.reply_via", p.Label("channel", string(q.Contact.Channel)), q.Reference)
		if q.Contact.Channel == inquiry.Web {
			v.DeliverNote = p.Tf("inq.reply_via", p.Label("channel", "email"), q.Reference)
		}
	}
	for _, ag := range d.cfg.Agencies {
		if ag.ID != q.Agency {
			v.Agencies = append(v.Agencies, option{ag.ID, ag.ID + " — " + ag.Name, ag.ID == form.AssignTo})
		}
	}
	p.Title, p.V, p.Path = string(q.Reference), v, "/inquiries/"+string(q.Reference)
	d.render(w, status, "inquiry", p)
	return nil
}

// deliverable mirrors desk's choice of a way back to the person, to tell
// staff before they write whether a reply will reach anyone.
func (d *Dashboard) deliverable(q *inquiry.Inquiry) bool {
	ch := d.desk.Channels()
	switch q.Contact.Channel {
	case inquiry.Telegram:
		return ch.Telegram && q.Contact.Address != ""
	case inquiry.Email, inquiry.Web:
		return ch.Email && strings.Contains(q.Contact.Address, "@")
	}
	return false
}

// inquiryAction is POST /inquiries/{ref}/{claim|close|reply|assign|erase}.
// Every action goes through desk, which checks the actor and writes the
// audit trail. Success redirects (no resubmission on reload); a refused
// action shows the inquiry again with the reason and what was typed.
func (d *Dashboard) inquiryAction(w http.ResponseWriter, r *http.Request, p *page, a desk.Actor, _ *session) error {
	ref, err := reference(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	back := "/inquiries/" + string(ref) + "?done="
	form := inqPage{}
	switch r.PathValue("action") {
	case "claim":
		_, err = d.desk.Claim(ctx, a, ref)
		back += "claimed"
	case "close":
		_, err = d.desk.Close(ctx, a, ref)
		back += "closed"
	case "reply":
		form.Draft = r.PostForm.Get("text")
		var q *inquiry.Inquiry
		q, _, err = d.desk.Reply(ctx, a, ref, form.Draft)
		if err == nil && !d.deliverable(q) {
			back += "kept"
		} else {
			back += "replied"
		}
	case "assign":
		agency, reason := r.PostForm.Get("agency"), strings.TrimSpace(r.PostForm.Get("reason"))
		form.Reason, form.AssignTo = reason, agency
		if reason == "" {
			err = inquiry.Errorf(inquiry.EINVALID, "%s", p.T("err.reason"))
			break
		}
		var q *inquiry.Inquiry
		q, err = d.desk.Assign(ctx, a, ref, agency, reason)
		back += "assigned"
		if err == nil && !a.SeesAll() && !q.Involves(a.Agency) {
			back = "/queue" // it left this agency
		}
	case "erase":
		if r.PostForm.Get("confirm") != "yes" {
			p.Error = p.T("erase.need")
			return d.renderErase(w, r, p, a, ref, http.StatusBadRequest)
		}
		err = d.desk.Erase(ctx, a, ref)
		back += "erased"
	default:
		return inquiry.Errorf(inquiry.ENOTFOUND, "no action %q", truncate(r.PathValue("action"), 40))
	}
	if err != nil {
		code, status, msg := statusFor(err)
		switch code {
		case inquiry.ENOTFOUND, inquiry.EUNAVAILABLE, inquiry.EINTERNAL:
			return err
		}
		p.Error = msg
		return d.showInquiry(w, r, p, a, ref, status, form)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

type eraseView struct {
	Ref inquiry.Reference
}

// erasePage is GET /inquiries/{ref}/erase: the confirmation step (admins).
func (d *Dashboard) erasePage(w http.ResponseWriter, r *http.Request, p *page, a desk.Actor, _ *session) error {
	ref, err := reference(r)
	if err != nil {
		return err
	}
	return d.renderErase(w, r, p, a, ref, http.StatusOK)
}

func (d *Dashboard) renderErase(w http.ResponseWriter, r *http.Request, p *page, a desk.Actor, ref inquiry.Reference, status int) error {
	if _, err := d.desk.Get(r.Context(), a, ref); err != nil {
		return err
	}
	if a.Role != config.RoleAdmin {
		return inquiry.Errorf(inquiry.EFORBIDDEN, "only an admin may erase personal data")
	}
	p.Title, p.V, p.Path = p.Tf("erase.title", ref), eraseView{Ref: ref}, "/inquiries/"+string(ref)+"/erase"
	d.render(w, status, "erase", p)
	return nil
}

// bar is one bar of a server-rendered SVG chart: widths in percent.
type bar struct {
	Label   string
	N       int
	Pct     float64
	Overdue int
	OverPct float64
}

type agencyRow struct {
	ID, Name string
	*desk.AgencyStats
	Median string
	Bar    bar
}

type statsView struct {
	Since    string
	Total    int
	Overdue  int
	Median   string
	Rows     []agencyRow
	Topics   []bar
	Channels []bar
	Counters []count
}

// statsPage is GET /stats: every agency's figures for coordinators and
// admins, their own agency's for agents (desk.Stats decides).
func (d *Dashboard) statsPage(w http.ResponseWriter, r *http.Request, p *page, a desk.Actor, _ *session) error {
	st, err := d.desk.Stats(r.Context(), a)
	if err != nil {
		return err
	}
	v := statsView{Since: d.day(p, st.Since), Total: st.Total, Overdue: st.Overdue, Median: d.seconds(p, st.MedianFirstResponseSeconds)}
	maxActive := 1
	topics, channels := map[string]int{}, map[string]int{}
	for _, s := range st.Agencies {
		maxActive = max(maxActive, s.Active)
		for t, n := range s.ByTopic {
			topics[t] += n
		}
		for c, n := range s.ByChan {
			channels[string(c)] += n
		}
	}
	for _, s := range st.Agencies {
		ag, _ := d.cfg.Agency(s.Agency)
		row := agencyRow{ID: s.Agency, Name: ag.Name, AgencyStats: s, Median: d.seconds(p, s.MedianFirstResponseSeconds),
			Bar: bar{N: s.Active, Pct: pct(s.Active, maxActive), Overdue: s.Overdue, OverPct: pct(s.Overdue, maxActive)}}
		v.Rows = append(v.Rows, row)
	}
	slices.SortStableFunc(v.Rows, func(x, y agencyRow) int { return y.Active - x.Active })
	v.Topics = bars(topics, func(id string) string { return p.Label("topic", id) })
	v.Channels = bars(channels, func(id string) string { return p.Label("channel", id) })
	if st.Counters != nil {
		v.Counters = []count{
			{Label: p.T("stats.c.inquiries"), N: int(st.Counters["inquiries"])},
			{Label: p.T("stats.c.urgent"), N: int(st.Counters["urgent"])},
		}
		for _, c := range []string{"web", "telegram", "email"} {
			v.Counters = append(v.Counters, count{Label: p.Label("channel", c), N: int(st.Counters["channel:"+c])})
		}
	}
	p.Title, p.V = p.T("stats.title"), v
	d.render(w, http.StatusOK, "stats", p)
	return nil
}

func bars(m map[string]int, label func(string) string) []bar {
	top := 1
	for _, n := range m {
		top = max(top, n)
	}
	var out []bar
	for id, n := range m {
		out = append(out, bar{Label: label(id), N: n, Pct: pct(n, top)})
	}
	slices.SortFunc(out, func(x, y bar) int {
		if x.N != y.N {
			return y.N - x.N
		}
		return strings.Compare(x.Label, y.Label)
	})
	return out
}

func pct(n, of int) float64 {
	if of <= 0 {
		return 0
	}
	return float64(int(float64(n)*1000/float64(of))) / 10
}

// staffName is a staff member's name, or their id.
func (d *Dashboard) staffName(id string) string {
	if s, ok := d.cfg.StaffByID(id); ok && s.Name != "" {
		return s.Name
	}
	return id
}

// when formats t in the network's time zone and the page's language
// (Arabic with the month names used in Iraq).
func (d *Dashboard) when(p *page, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(d.loc)
	month := t.Format("Jan")
	if p.Lang == "ar" {
		month = arabicMonths[t.Month()-1]
	}
	return fmt.Sprintf("%d %s %d %s", t.Day(), month, t.Year(), t.Format("15:04"))
}

// day is when without the time of day.
func (d *Dashboard) day(p *page, t time.Time) string {
	s := d.when(p, t)
	return s[:strings.LastIndexByte(s, ' ')]
}

var arabicMonths = [12]string{"كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول"}

// duration is a short human length of time in the page's language.
func (d *Dashboard) duration(p *page, dur time.Duration) string {
	switch {
	case dur < time.Minute:
		return p.T("dur.lt_min")
	case dur < time.Hour:
		return p.Tf("dur.min", int(dur.Minutes()))
	case dur < 10*time.Hour && int(dur.Minutes())%60 != 0:
		return p.Tf("dur.hm", int(dur.Hours()), int(dur.Minutes())%60)
	case dur < 48*time.Hour:
		return p.Tf("dur.h", int(dur.Hours()))
	case int(dur.Hours())%24 != 0 && dur < 10*24*time.Hour:
		return p.Tf("dur.dh", int(dur.Hours())/24, int(dur.Hours())%24)
	default:
		return p.Tf("dur.d", int(dur.Hours())/24)
	}
}

func (d *Dashboard) seconds(p *page, s *float64) string {
	if s == nil {
		return p.T("none")
	}
	return d.duration(p, time.Duration(*s*float64(time.Second)))
}

// byteSize is a file size for people.
func byteSize(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.0f KB", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
	}
}
