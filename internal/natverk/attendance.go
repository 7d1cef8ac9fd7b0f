package natverk

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Attendance: organizers mark who came to a meeting. From the marks come
// the attendance rate over time, the active members, and the lapsed ones
// — members who missed LapsedAfter meetings in a row. Lapsed members keep
// being invited (continuity); their next invitations and reminders carry
// a friendly "we miss you" line instead.

// LapsedAfter is how many recorded meetings in a row a member must have
// missed to count as lapsed.
const LapsedAfter = 3

// Attendance is one member's attendance at one meeting.
type Attendance struct {
	NetworkID int64 `json:"network_id"`
	SeriesID  int64 `json:"series_id"`
	// Occurrence is the meeting's original start (UTC).
	Occurrence time.Time `json:"occurrence"`
	MemberID   int64     `json:"member_id"`
	Attended   bool      `json:"attended"`
	// RecordedBy is the organizer who marked it (0 = the admin).
	RecordedBy int64     `json:"recorded_by,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
}

// AttendanceInput marks who came to one meeting and who did not.
// Members named in neither list keep what was recorded for them.
type AttendanceInput struct {
	// Occurrence is the meeting's original start.
	Occurrence time.Time `json:"-"`
	Attended   []int64   `json:"attended"`
	Absent     []int64   `json:"absent"`
	RecordedBy int64     `json:"-"`
}

// MaxAttendanceMarks caps the members marked in one call.
const MaxAttendanceMarks = 10000

// Validate checks the input and removes repeated ids.
func (in *AttendanceInput) Validate() error {
	if in.Occurrence.IsZero() {
		return Invalid(FieldError{"occurrence", "is required"})
	}
	if len(in.Attended)+len(in.Absent) == 0 {
		return Invalid(FieldError{"attended", "name at least one member in attended or absent"})
	}
	if len(in.Attended)+len(in.Absent) > MaxAttendanceMarks {
		return Invalid(FieldError{"attended", "at most 10000 members at a time"})
	}
	in.Attended, in.Absent = uniqueIDs(in.Attended), uniqueIDs(in.Absent)
	for _, id := range append(slices.Clone(in.Attended), in.Absent...) {
		if id <= 0 {
			return Invalid(FieldError{"attended", "member ids are positive numbers"})
		}
	}
	for _, id := range in.Attended {
		if slices.Contains(in.Absent, id) {
			return Invalid(FieldError{"absent", "member " + itoa(int(id)) + " is in both attended and absent"})
		}
	}
	return nil
}

func uniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// CheckAttendanceOccurrence checks that attendance can be recorded for
// the occurrence rid of s at now: it is a meeting of the series, not
// cancelled, and it has started.
func CheckAttendanceOccurrence(s *Series, rid, now time.Time) error {
	if !s.IsOccurrence(rid) {
		return Invalid(FieldError{"occurrence", "is not a meeting of this series"})
	}
	start := rid
	if ex := s.Exception(rid); ex != nil && !ex.Start.IsZero() {
		start = ex.Start
	}
	if start.After(now) {
		return Invalid(FieldError{"occurrence", "has not taken place yet"})
	}
	return nil
}

// AttendanceFilter selects attendance records.
type AttendanceFilter struct {
	NetworkID int64
	SeriesID  int64
	MemberID  int64
	// From and To bound the meetings' original starts (zero: unbounded).
	From, To time.Time
}

// AttendanceResult reports a RecordAttendance call.
type AttendanceResult struct {
	SeriesID   int64     `json:"series_id"`
	Occurrence time.Time `json:"occurrence"`
	// Attended and Absent count what is now recorded for the meeting.
	Attended int `json:"attended"`
	Absent   int `json:"absent"`
}

// AttendanceMeeting is a meeting for which attendance was recorded.
type AttendanceMeeting struct {
	SeriesID   int64     `json:"series_id"`
	Occurrence time.Time `json:"occurrence"`
	Attended   int       `json:"attended"`
	Absent     int       `json:"absent"`
}

// AttendanceStore keeps who came.
type AttendanceStore interface {
	// RecordAttendance stores the marks of one meeting of the series
	// (in.Occurrence: CheckAttendanceOccurrence must pass, else EINVALID)
	// and writes attendance.recorded. Every member marked must belong to
	// the network (EINVALID names the first who does not); ENOTFOUND for
	// an unknown series.
	RecordAttendance(ctx context.Context, seriesID int64, in AttendanceInput) (AttendanceResult, error)
	// FindAttendance lists records, by meeting and member.
	FindAttendance(ctx context.Context, f AttendanceFilter) ([]*Attendance, error)
	// AttendanceMeetings lists a network's meetings with attendance
	// recorded, oldest first, with their counts.
	AttendanceMeetings(ctx context.Context, networkID int64) ([]AttendanceMeeting, error)
}

// MissedInARow returns how many of the recorded meetings (oldest first)
// held since the member was invited they missed in a row, counting back
// from the latest: a meeting they were not marked as attending is missed.
// attended holds the meetings they came to, keyed by AttendanceKey.
func MissedInARow(meetings []AttendanceMeeting, attended map[string]bool, invitedAt time.Time) int {
	n := 0
	for i := len(meetings) - 1; i >= 0; i-- {
		m := meetings[i]
		if m.Occurrence.Before(invitedAt) {
			break
		}
		if attended[AttendanceKey(m.SeriesID, m.Occurrence)] {
			break
		}
		n++
	}
	return n
}

// AttendanceKey names one meeting.
func AttendanceKey(seriesID int64, occurrence time.Time) string {
	return itoa(int(seriesID)) + "@" + itoa(int(occurrence.Unix()))
}

// IsLapsed reports whether a member with these attendance records missed
// LapsedAfter recorded meetings in a row since they were invited.
func IsLapsed(meetings []AttendanceMeeting, records []*Attendance, invitedAt time.Time) bool {
	attended := map[string]bool{}
	for _, r := range records {
		if r.Attended {
			attended[AttendanceKey(r.SeriesID, r.Occurrence)] = true
		}
	}
	return MissedInARow(meetings, attended, invitedAt) >= LapsedAfter
}

// MeetingReport is one meeting in an attendance report.
type MeetingReport struct {
	SeriesID   int64     `json:"series_id"`
	Summary    string    `json:"summary"`
	Occurrence time.Time `json:"occurrence"`
	// Expected counts the members invited by then and those marked.
	Attended int     `json:"attended"`
	Absent   int     `json:"absent"`
	Expected int     `json:"expected"`
	Rate     float64 `json:"rate"`
}

// MonthReport sums a month's meetings.
type MonthReport struct {
	Month    string  `json:"month"` // "2027-03"
	Meetings int     `json:"meetings"`
	Attended int     `json:"attended"`
	Expected int     `json:"expected"`
	Rate     float64 `json:"rate"`
}

// LapsedMember is a member who missed LapsedAfter meetings in a row.
type LapsedMember struct {
	MemberID int64  `json:"member_id"`
	Name     string `json:"name"`
	Missed   int    `json:"missed_in_a_row"`
}

// AttendanceReport is a network's attendance over one year, for the
// board.
type AttendanceReport struct {
	NetworkID int64  `json:"network_id"`
	Network   string `json:"network"`
	Year      int    `json:"year"`
	// Meetings are the meetings of the year with attendance recorded.
	Meetings []MeetingReport `json:"meetings"`
	Months   []MonthReport   `json:"months"`
	// Rate is attended over expected across the year's meetings.
	Rate float64 `json:"rate"`
	// Members counts the members invited now; Active those who came to
	// at least one meeting of the year.
	Members int `json:"members"`
	Active  int `json:"active"`
	// Lapsed are the members who, now, missed LapsedAfter in a row.
	Lapsed []LapsedMember `json:"lapsed"`
}

// ReportInput is what an attendance report is made of.
type ReportInput struct {
	Network  *Network
	Year     int
	Zone     *time.Location
	Series   []*Series
	Invitees []*Membership
	Records  []*Attendance
	// Names names members for the lapsed list.
	Names map[int64]string
}

// BuildAttendanceReport computes a network's report for one year (in
// the network's zone) from the attendance records of all years: lapsed
// members are judged on everything recorded.
func BuildAttendanceReport(in ReportInput) AttendanceReport {
	zone := cmp.Or(in.Zone, time.UTC)
	rep := AttendanceReport{NetworkID: in.Network.ID, Network: in.Network.Name, Year: in.Year, Meetings: []MeetingReport{}, Months: []MonthReport{}, Lapsed: []LapsedMember{}, Members: len(in.Invitees)}
	summaries := map[int64]string{}
	for _, s := range in.Series {
		summaries[s.ID] = s.Summary
	}
	invited := map[int64]time.Time{}
	for _, m := range in.Invitees {
		invited[m.MemberID] = m.InvitedAt
	}
	type meeting struct {
		AttendanceMeeting
		marked map[int64]bool // member -> attended
	}
	byKey := map[string]*meeting{}
	var all []*meeting
	for _, r := range in.Records {
		k := AttendanceKey(r.SeriesID, r.Occurrence)
		m := byKey[k]
		if m == nil {
			m = &meeting{AttendanceMeeting: AttendanceMeeting{SeriesID: r.SeriesID, Occurrence: r.Occurrence.UTC()}, marked: map[int64]bool{}}
			byKey[k] = m
			all = append(all, m)
		}
		m.marked[r.MemberID] = r.Attended
	}
	slices.SortFunc(all, func(a, b *meeting) int {
		return cmp.Or(a.Occurrence.Compare(b.Occurrence), cmp.Compare(a.SeriesID, b.SeriesID))
	})
	active := map[int64]bool{}
	months := map[string]*MonthReport{}
	var attendedSum, expectedSum int
	for _, m := range all {
		if m.Occurrence.In(zone).Year() != in.Year {
			continue
		}
		mr := MeetingReport{SeriesID: m.SeriesID, Summary: summaries[m.SeriesID], Occurrence: m.Occurrence}
		expected := map[int64]bool{}
		for id, at := range invited {
			if !at.After(m.Occurrence) {
				expected[id] = true
			}
		}
		for id, came := range m.marked {
			expected[id] = true
			if came {
				mr.Attended++
				active[id] = true
			} else {
				mr.Absent++
			}
		}
		mr.Expected = len(expected)
		mr.Rate = rate(mr.Attended, mr.Expected)
		rep.Meetings = append(rep.Meetings, mr)
		attendedSum += mr.Attended
		expectedSum += mr.Expected
		key := m.Occurrence.In(zone).Format("2006-01")
		mo := months[key]
		if mo == nil {
			mo = &MonthReport{Month: key}
			months[key] = mo
		}
		mo.Meetings++
		mo.Attended += mr.Attended
		mo.Expected += mr.Expected
	}
	for _, mo := range months {
		mo.Rate = rate(mo.Attended, mo.Expected)
		rep.Months = append(rep.Months, *mo)
	}
	slices.SortFunc(rep.Months, func(a, b MonthReport) int { return cmp.Compare(a.Month, b.Month) })
	rep.Rate = rate(attendedSum, expectedSum)
	rep.Active = len(active)
	meetings := make([]AttendanceMeeting, len(all))
	for i, m := range all {
		meetings[i] = m.AttendanceMeeting
	}
	for _, inv := range in.Invitees {
		came := map[string]bool{}
		for _, m := range all {
			if m.marked[inv.MemberID] {
				came[AttendanceKey(m.SeriesID, m.Occurrence)] = true
			}
		}
		if n := MissedInARow(meetings, came, inv.InvitedAt); n >= LapsedAfter {
			rep.Lapsed = append(rep.Lapsed, LapsedMember{MemberID: inv.MemberID, Name: in.Names[inv.MemberID], Missed: n})
		}
	}
	slices.SortFunc(rep.Lapsed, func(a, b LapsedMember) int {
		return cmp.Or(cmp.Compare(b.Missed, a.Missed), cmp.Compare(Fold(a.Name), Fold(b.Name)), cmp.Compare(a.MemberID, b.MemberID))
	})
	return rep
}

// rate is a/b rounded to three decimals, 0 when b is 0.
func rate(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64((a*1000+b/2)/b) / 1000
}
