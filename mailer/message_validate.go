package mailer

import (
	"strings"
)

// validate checks everything Compose relies on and returns the locale tag.
func (c *Composer) validate(m *Message) (string, error) {
	if !m.Kind.Valid() {
		return "", invalidf("unknown message kind %q", m.Kind)
	}
	tag, err := localeTag(m.Locale)
	if err != nil {
		return "", err
	}
	if err := checkAddress("From", m.From); err != nil {
		return "", err
	}
	if err := checkAddress("To", m.To); err != nil {
		return "", err
	}
	if m.ReplyTo != nil {
		if err := checkAddress("Reply-To", *m.ReplyTo); err != nil {
			return "", err
		}
	}
	if err := c.checkIDs(m); err != nil {
		return "", err
	}
	if m.ListID != "" {
		if err := checkListID(m.ListID); err != nil {
			return "", err
		}
	}
	if m.Unsubscribe != nil {
		if _, err := checkUnsubscribe(m.Unsubscribe); err != nil {
			return "", err
		}
	}
	if err := checkCalendar(m); err != nil {
		return "", err
	}
	if err := checkContent(m.Kind, &m.Content); err != nil {
		return "", err
	}
	return tag, nil
}

// checkIDs validates MessageID and InReplyTo and their domain.
func (c *Composer) checkIDs(m *Message) error {
	if m.MessageID == "" {
		return invalidf("MessageID is required")
	}
	want := c.msgDomain
	if want == "" {
		want = domainOf(m.From.Email)
	}
	for _, f := range []struct{ name, id string }{{"MessageID", m.MessageID}, {"InReplyTo", m.InReplyTo}} {
		if f.id == "" {
			continue
		}
		if err := checkMsgID(f.name, f.id); err != nil {
			return err
		}
		if domainOf(f.id) != want {
			return invalidf("%s %q is not on our domain %q", f.name, f.id, want)
		}
	}
	return nil
}

// checkCalendar checks that calendar kinds carry a calendar whose METHOD
// matches both CalendarPart.Method and the kind, and that other kinds carry
// none.
func checkCalendar(m *Message) error {
	want := m.Kind.Method()
	if want == "" {
		if m.Calendar != nil {
			return invalidf("a %s message carries no calendar", m.Kind)
		}
		return nil
	}
	if m.Calendar == nil {
		return invalidf("a %s message needs a calendar part with METHOD:%s", m.Kind, want)
	}
	inData, err := calendarMethod(m.Calendar.Data)
	if err != nil {
		return err
	}
	if !strings.EqualFold(m.Calendar.Method, inData) {
		return invalidf("calendar part method %q differs from METHOD:%s in its data", m.Calendar.Method, inData)
	}
	if inData != want {
		return invalidf("a %s message needs METHOD:%s, the calendar has METHOD:%s", m.Kind, want, inData)
	}
	return nil
}

// checkContent checks the fields a kind needs and every URL and
// header-bound text.
func checkContent(k Kind, c *Content) error {
	if err := checkHeaderText("Summary", c.Summary); err != nil {
		return err
	}
	if err := checkHeaderText("NetworkName", c.NetworkName); err != nil {
		return err
	}
	switch k {
	case Invitation, Update, OccurrenceCancelled, OccurrenceMoved, Reminder, WaitlistPromoted, Confirmed:
		if strings.TrimSpace(c.Summary) == "" {
			return invalidf("a %s message needs Content.Summary", k)
		}
		if c.Start.IsZero() {
			return invalidf("a %s message needs Content.Start", k)
		}
		if k == OccurrenceMoved && c.OldStart.IsZero() {
			return invalidf("an occurrence_moved message needs Content.OldStart")
		}
	case NetworkClosed, Removed:
		if strings.TrimSpace(c.Summary) == "" {
			return invalidf("a %s message needs Content.Summary", k)
		}
	case Digest:
		if len(c.Answers) == 0 && len(c.Bouncing) == 0 {
			return invalidf("a digest needs at least one answer or bouncing address")
		}
	case BounceNotice:
		if len(c.Bouncing) == 0 {
			return invalidf("a bounce_notice needs Content.Bouncing")
		}
	case SupportRequest, SupportDecided:
		if c.Support == nil {
			return invalidf("a %s message needs Content.Support", k)
		}
		if k == SupportDecided && c.Support.Status == "" {
			return invalidf("a support_decided message needs Content.Support.Status")
		}
	case OrganizerLink:
		if c.Action.URL == "" {
			return invalidf("an organizer_link message needs Content.Action.URL")
		}
	case Notice:
		if strings.TrimSpace(c.Note) == "" {
			return invalidf("a notice needs Content.Note")
		}
	case Poll:
		if len(c.Options) < 2 {
			return invalidf("a poll needs at least two Content.Options")
		}
		if c.Action.URL == "" {
			return invalidf("a poll needs Content.Action.URL, the vote page")
		}
	}
	if !c.End.IsZero() && !c.Start.IsZero() && c.End.Before(c.Start) {
		return invalidf("Content.End %s is before Content.Start %s", c.End, c.Start)
	}
	if c.Waitlist < 0 {
		return invalidf("Content.Waitlist is negative")
	}
	links := []struct{ field, url string }{
		{"NetworkURL", c.NetworkURL},
		{"LocationURL", c.LocationURL},
		{"RSVP.Yes", c.RSVP.Yes},
		{"RSVP.Maybe", c.RSVP.Maybe},
		{"RSVP.No", c.RSVP.No},
		{"RSVP.Page", c.RSVP.Page},
		{"Subscribe.HTTPS", c.Subscribe.HTTPS},
		{"Subscribe.Google", c.Subscribe.Google},
		{"Subscribe.Outlook", c.Subscribe.Outlook},
		{"UnsubscribeURL", c.UnsubscribeURL},
		{"LeaveURL", c.LeaveURL},
		{"HideURL", c.HideURL},
		{"Action.URL", c.Action.URL},
	}
	for _, l := range links {
		if err := checkLink(l.field, l.url); err != nil {
			return err
		}
	}
	return checkLink("Subscribe.Webcal", c.Subscribe.Webcal, "webcal", "webcals", "https", "http")
}
