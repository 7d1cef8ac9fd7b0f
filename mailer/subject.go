package mailer

import (
	"strconv"
	"strings"
)

// subjectPrefix returns the words in front of the meeting summary for the
// calendar kinds and the reminder. The subject then reads
// "<prefix>: <summary> @ <when>", the shape of Google's and Outlook's
// invitations, so replies such as "Accepted: <subject>" stay readable.
func subjectPrefix(tag string, k Kind) string {
	sv := tag == "sv"
	switch k {
	case Invitation:
		return pickText(sv, "Inbjudan", "Invitation")
	case Update:
		return pickText(sv, "Uppdaterad inbjudan", "Updated invitation")
	case OccurrenceCancelled:
		return pickText(sv, "Inställt", "Cancelled")
	case OccurrenceMoved:
		return pickText(sv, "Flyttat", "Moved")
	case NetworkClosed:
		return pickText(sv, "Alla möten inställda", "All meetings cancelled")
	case Removed:
		return pickText(sv, "Inte längre inbjuden", "No longer invited")
	case Reminder:
		return pickText(sv, "Påminnelse", "Reminder")
	case WaitlistPromoted:
		return pickText(sv, "Du har fått plats", "You have a place")
	case Confirmed:
		return pickText(sv, "Det blir av", "It's on")
	}
	return string(k)
}

// pickText returns svText for Swedish and enText otherwise.
func pickText(sv bool, svText, enText string) string {
	if sv {
		return svText
	}
	return enText
}

// Subject returns the localized subject line of m, e.g.
// "Inbjudan: Nätverksmöte Göteborg @ tis 14 jan 2025 18:00–20:00 (CET)".
// An unsupported locale falls back to Swedish; Compose refuses it instead.
func (c *Composer) Subject(m *Message) string {
	tag, err := localeTag(m.Locale)
	if err != nil {
		tag = "sv"
	}
	return subject(c.locales[tag], m)
}

func subject(l *locale, m *Message) string {
	ct := &m.Content
	sv := l.tag == "sv"
	pick := func(svText, enText string) string { return pickText(sv, svText, enText) }
	network := strings.TrimSpace(ct.NetworkName)
	withNetwork := func(s string) string {
		if network == "" {
			return s
		}
		return s + ": " + network
	}
	switch m.Kind {
	case Invitation, Update, OccurrenceCancelled, OccurrenceMoved, Reminder, WaitlistPromoted, Confirmed:
		s := subjectPrefix(l.tag, m.Kind) + ": " + ct.Summary
		if when := l.whenShort(ct.Start, ct.End); when != "" {
			s += " @ " + when
		}
		return s
	case NetworkClosed, Removed:
		return subjectPrefix(l.tag, m.Kind) + ": " + ct.Summary
	case Digest:
		n := len(ct.Answers)
		switch {
		case n == 1:
			return withNetwork(pick("Sammanfattning: 1 nytt svar", "Digest: 1 new answer"))
		case n > 1:
			return withNetwork(pick("Sammanfattning: "+strconv.Itoa(n)+" nya svar", "Digest: "+strconv.Itoa(n)+" new answers"))
		}
		return withNetwork(pick("Sammanfattning", "Digest"))
	case BounceNotice:
		if len(ct.Bouncing) == 1 {
			return withNetwork(pick("En adress studsar", "An address bounces"))
		}
		return withNetwork(pick("Adresser studsar", "Addresses bounce"))
	case SupportRequest:
		return withNetwork(pick("Ansökan om stöd", "Support request") + supportNumber(ct.Support))
	case SupportDecided:
		return withNetwork(pick("Beslut om stöd", "Support decision") + supportNumber(ct.Support))
	case OrganizerLink:
		return withNetwork(pick("Din länk till organisatörssidan", "Your link to the organizer page"))
	case Poll:
		return withNetwork(pick("Välj mötestid", "Choose the meeting time"))
	case Notice:
		if ct.Summary != "" {
			return pick("Meddelande", "Notice") + ": " + ct.Summary
		}
		return withNetwork(pick("Meddelande", "Notice"))
	}
	return withNetwork(string(m.Kind))
}

func supportNumber(s *SupportInfo) string {
	if s == nil || s.RequestID == 0 {
		return ""
	}
	return " #" + strconv.FormatInt(s.RequestID, 10)
}
