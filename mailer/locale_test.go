package mailer

import (
	"testing"
	"time"
)

func TestLocaleWhen(t *testing.T) {
	sto, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, sto) }
	sv, en := swedishLocale(), englishLocale()
	tests := []struct {
		name       string
		start, end time.Time
		sv, en     string
		svShort    string
	}{
		{"same day", at(2025, 1, 14, 18, 0), at(2025, 1, 14, 20, 0),
			"tisdag 14 januari 2025 kl. 18:00–20:00 (CET)", "Tuesday 14 January 2025, 18:00–20:00 (CET)",
			"tis 14 jan 2025 18:00–20:00 (CET)"},
		{"summer time", at(2025, 6, 10, 18, 0), at(2025, 6, 10, 20, 0),
			"tisdag 10 juni 2025 kl. 18:00–20:00 (CEST)", "Tuesday 10 June 2025, 18:00–20:00 (CEST)",
			"tis 10 jun 2025 18:00–20:00 (CEST)"},
		{"no end", at(2025, 3, 1, 9, 5), time.Time{},
			"lördag 1 mars 2025 kl. 09:05 (CET)", "Saturday 1 March 2025, 09:05 (CET)",
			"lör 1 mar 2025 09:05 (CET)"},
		{"over midnight", at(2025, 12, 31, 22, 0), at(2026, 1, 1, 1, 0),
			"onsdag 31 december 2025 kl. 22:00 – torsdag 1 januari 2026 kl. 01:00 (CET)",
			"Wednesday 31 December 2025, 22:00 – Thursday 1 January 2026, 01:00 (CET)",
			"ons 31 dec 2025 22:00 – tor 1 jan 2026 01:00 (CET)"},
		{"across the DST change", at(2025, 10, 26, 1, 0), at(2025, 10, 26, 4, 0),
			"söndag 26 oktober 2025 kl. 01:00 (CEST) – 04:00 (CET)",
			"Sunday 26 October 2025, 01:00 (CEST) – 04:00 (CET)",
			"sön 26 okt 2025 01:00 (CEST) – 04:00 (CET)"},
		{"end before start ignored", at(2025, 8, 4, 18, 0), at(2025, 8, 4, 17, 0),
			"måndag 4 augusti 2025 kl. 18:00 (CEST)", "Monday 4 August 2025, 18:00 (CEST)",
			"mån 4 aug 2025 18:00 (CEST)"},
		{"zero start", time.Time{}, time.Time{}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sv.when(tt.start, tt.end); got != tt.sv {
				t.Errorf("sv when = %q, want %q", got, tt.sv)
			}
			if got := en.when(tt.start, tt.end); got != tt.en {
				t.Errorf("en when = %q, want %q", got, tt.en)
			}
			if got := sv.whenShort(tt.start, tt.end); got != tt.svShort {
				t.Errorf("sv whenShort = %q, want %q", got, tt.svShort)
			}
		})
	}
}

// TestLocaleNames checks every Swedish weekday and month against a known
// calendar: 2025-01-05 is a Sunday.
func TestLocaleNames(t *testing.T) {
	sv := swedishLocale()
	wantDays := []string{"söndag 5 januari 2025", "måndag 6 januari 2025", "tisdag 7 januari 2025", "onsdag 8 januari 2025",
		"torsdag 9 januari 2025", "fredag 10 januari 2025", "lördag 11 januari 2025"}
	for i, want := range wantDays {
		if got := sv.date(time.Date(2025, 1, 5+i, 12, 0, 0, 0, time.UTC)); got != want {
			t.Errorf("date = %q, want %q", got, want)
		}
	}
	wantMonths := []string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}
	for i, want := range wantMonths {
		d := time.Date(2025, time.Month(i+1), 15, 12, 0, 0, 0, time.UTC)
		if got, wantDate := sv.date(d), sv.weekdays[d.Weekday()]+" 15 "+want+" 2025"; got != wantDate {
			t.Errorf("date = %q, want %q", got, wantDate)
		}
	}
}

func TestLocaleAnswerStatusMoney(t *testing.T) {
	sv, en := swedishLocale(), englishLocale()
	tests := []struct{ got, want string }{
		{sv.answer("ACCEPTED"), "Ja, jag kommer"},
		{sv.answer("tentative"), "Kanske"},
		{en.answer("DECLINED"), "No, I can't come"},
		{en.answer(""), "No answer yet"},
		{sv.answer("DELEGATED"), "DELEGATED"},
		{sv.status("Approved"), "beviljad"},
		{en.status("rejected"), "rejected"},
		{sv.status("on hold"), "on hold"},
		{sv.money(1500), "1\u00a0500\u00a0kr"},
		{sv.money(999), "999\u00a0kr"},
		{sv.money(1234567), "1\u00a0234\u00a0567\u00a0kr"},
		{en.money(1500), "SEK\u00a01,500"},
		{en.money(-20000), "SEK\u00a0-20,000"},
		{sv.stamp(time.Date(2025, 1, 3, 9, 12, 0, 0, time.UTC)), "3 jan 2025 09:12"},
		{sv.stamp(time.Time{}), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestLocaleTag(t *testing.T) {
	for tag, want := range map[string]string{"": "sv", "sv": "sv", "SV-se": "sv", "sv_SE": "sv", "en": "en", "en-GB": "en", " en ": "en"} {
		if got, err := localeTag(tag); err != nil || got != want {
			t.Errorf("localeTag(%q) = %q, %v; want %q", tag, got, err, want)
		}
	}
	for _, tag := range []string{"de", "fr-FR", "svenska"} {
		if _, err := localeTag(tag); err == nil {
			t.Errorf("localeTag(%q) succeeded", tag)
		}
	}
}
