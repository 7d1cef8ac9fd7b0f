package calendar

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-ical"
)

// ProdID is the PRODID of every calendar the package writes.
const ProdID = "-//Natverk//Natverk Calendar 1.0//EN"

const (
	localFormat = "20060102T150405"
	utcFormat   = "20060102T150405Z"
)

// newCalendar starts a VCALENDAR; method "" leaves METHOD out (feeds).
func newCalendar(method string) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, ProdID)
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	if method != "" {
		cal.Props.SetText(ical.PropMethod, method)
	}
	return cal
}

// encode writes cal with CRLF line ends, folded at 75 octets.
func encode(cal *ical.Calendar) ([]byte, error) {
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		return nil, fmt.Errorf("calendar: encode: %w", err)
	}
	return foldLines(b.Bytes()), nil
}

// setText sets a TEXT property after turning CRLF and CR into LF (go-ical
// escapes LF but refuses CR) and dropping other control characters. Empty
// texts are left out: libical rejects empty values.
func setText(props ical.Props, name, text string) {
	text = cleanText(text)
	if text == "" {
		props.Del(name)
		return
	}
	props.SetText(name, text)
	// TEXT is the default type of every property written this way, and of
	// X- properties, so go-ical's VALUE=TEXT on those is noise.
	props.Get(name).Params.Del(ical.ParamValue)
}

// cleanText normalises newlines, turns tabs into spaces and drops the other
// control characters.
func cleanText(s string) string {
	s = normalizeNewlines(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// cleanParam makes a parameter value (CN) safe: go-ical writes parameter
// values unchecked except for '"', so CR, LF and other control characters
// would inject content lines (INTEROP §6). They are removed along with '"'
// (RFC 6868 escaping is not understood by go-ical).
func cleanParam(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// setLocal writes a date-time in zone tzid: "NAME;TZID=<tzid>:<local>".
func setLocal(props ical.Props, name string, t time.Time, loc *time.Location) {
	p := ical.NewProp(name)
	p.Params.Set(ical.PropTimezoneID, loc.String())
	p.Value = t.In(loc).Format(localFormat)
	props.Set(p)
}

// addLocal adds one more date-time in zone loc (EXDATE, one per line:
// go-ical and others cannot read comma lists, INTEROP §4).
func addLocal(props ical.Props, name string, t time.Time, loc *time.Location) {
	p := ical.NewProp(name)
	p.Params.Set(ical.PropTimezoneID, loc.String())
	p.Value = t.In(loc).Format(localFormat)
	props.Add(p)
}

// setUTC writes a UTC date-time ("…Z").
func setUTC(props ical.Props, name string, t time.Time) {
	p := ical.NewProp(name)
	p.Value = t.UTC().Format(utcFormat)
	props.Set(p)
}

// setRaw writes a property value as given.
func setRaw(props ical.Props, name, value string) {
	p := ical.NewProp(name)
	p.Value = value
	props.Set(p)
}

// setAddress writes ORGANIZER or ATTENDEE: "NAME;CN=…:mailto:<email>",
// with extra parameters in params (name, value pairs).
func setAddress(props ical.Props, name string, who Person, params ...string) {
	p := ical.NewProp(name)
	for i := 0; i+1 < len(params); i += 2 {
		p.Params.Set(params[i], params[i+1])
	}
	if cn := cleanParam(who.Name); cn != "" {
		p.Params.Set(ical.ParamCommonName, cn)
	}
	p.Value = "mailto:" + who.Email
	props.Set(p)
}

// formatDuration writes a positive duration as an RFC 5545 DURATION:
// "PT6H", "P1D", "PT1H30M".
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("P")
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dD", days)
		d -= days * 24 * time.Hour
	}
	if d > 0 {
		b.WriteString("T")
		if h := d / time.Hour; h > 0 {
			fmt.Fprintf(&b, "%dH", h)
			d -= h * time.Hour
		}
		if m := d / time.Minute; m > 0 {
			fmt.Fprintf(&b, "%dM", m)
			d -= m * time.Minute
		}
		if d > 0 {
			fmt.Fprintf(&b, "%dS", d/time.Second)
		}
	}
	return b.String()
}
