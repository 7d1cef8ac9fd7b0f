package httpapi

import (
	"net/http"
	"strings"
)

// messages holds the pages' texts in Swedish (default) and English. A key
// missing in English falls back to Swedish (see t); the pages test checks
// that both languages have every key.
var messages = map[string]map[string]string{
	"sv": {
		"site": "Nätverk", "skip": "Hoppa till innehållet",
		"footer": "Nätverk — föreningens nätverk. Frågor? Svara på inbjudan så når du arrangören.",
		"when":   "När", "nextmeeting": "Nästa möte", "where": "Var", "schedule": "Återkommande", "have": "Vad vi har", "need": "Vad vi behöver",
		"recorded": "Tack! Ditt svar är sparat:", "current": "Ditt svar just nu:", "noanswer": "Du har inte svarat än.",
		"question": "Kommer du på nätverkets möten?", "question1": "Kommer du på det här mötet?",
		"yes": "Ja, jag kommer", "maybe": "Kanske", "no": "Nej, jag kan inte",
		"yes.short": "kommer", "maybe.short": "kanske", "no.short": "kan inte", "none.short": "har inte svarat",
		"calendar": "Kalender",
		"personal": "Min kalender: alla mina nätverk", "personal.help": "En prenumeration med alla nätverk du är med i, där varje möte visar ditt eget svar. Adressen är personlig: dela den inte.", "addics": "Lägg till i min kalender (.ics)", "subscribe": "Prenumerera på nätverkets kalender",
		"subscribe.help":  "En prenumeration visar alla nätverkets möten i din kalender och följer med när ett möte flyttas eller ställs in.",
		"subscribe.apple": "Apple-kalendern och andra (webcal)",
		"feedurl":         "Kalenderadress:", "stop": "Sluta skicka inbjudningar till mig", "leave": "Lämna nätverket",
		"occ.cancelled": "Det här mötet är inställt.",
		"invalid.title": "Länken fungerar inte", "invalid.text": "Länken är ogiltig eller har ändrats. Använd länken i det senaste mejlet från nätverket.",
		"expired.title": "Länken har gått ut", "expired.text": "Länken gäller inte längre. Använd länken i det senaste mejlet från nätverket.",
		"revoked.title": "Länken är återkallad", "revoked.text": "Länken har dragits tillbaka. Använd länken i det senaste mejlet från nätverket.",
		"gone.title": "Du får inte längre inbjudningar", "gone.text": "Du har lämnat nätverket eller avslutat inbjudningarna. Du kan gå med igen via länken längst ned i mejlet.",
		"csrf":        "Formuläret hade gått ut. Försök igen.",
		"unsub.title": "Inbjudningar från nätverket", "unsub.status": "Din status:", "unsub.hidden": "dold i medlemssökningen",
		"unsub.confirm.unsubscribe": "Vill du sluta få inbjudningar från nätverket?",
		"unsub.confirm.leave":       "Vill du lämna nätverket?",
		"unsub.confirm.hide":        "Vill du döljas i medlemssökningen?",
		"unsub.effect.unsubscribe":  "Du får inga fler inbjudningar, påminnelser eller ändringar från nätverket. Du kan ångra dig här.",
		"unsub.effect.leave":        "Du lämnar nätverket och mötena tas bort ur din kalender. Du kan gå med igen här.",
		"unsub.effect.hide":         "Arrangörer som söker bland medlemmarna hittar dig inte. Du får fortfarande inbjudningar från nätverk du är med i.",
		"unsub.other":               "Andra val",
		"unsub.choose":              "Vad vill du göra?", "unsub.stop": "Sluta skicka inbjudningar", "unsub.leave": "Lämna nätverket",
		"unsub.hide": "Dölj mig i medlemssökningen", "unsub.show": "Visa mig i medlemssökningen igen", "unsub.rejoin": "Gå med i nätverket igen",
		"unsub.done.unsubscribe": "Klart: du får inga fler inbjudningar från nätverket.", "unsub.done.leave": "Klart: du har lämnat nätverket.",
		"unsub.done.hide": "Klart: du syns inte längre i medlemssökningen.", "unsub.done.show": "Klart: du syns i medlemssökningen igen.",
		"unsub.done.rejoin": "Välkommen tillbaka! Du får nätverkets inbjudningar igen.",
		"status.invited":    "inbjuden", "status.joined": "medlem", "status.left": "har lämnat", "status.unsubscribed": "inbjudningar avslutade", "status.": "inte med i nätverket",
		"closed": "Nätverket är avslutat. Dess möten är inställda.", "next": "Kommande möten", "coming": "Svar",
		"moved": "flyttat", "movedfrom": "flyttat från", "cancelled": "inställt", "nomeetings": "Inga kommande möten.",
		"qr": "QR-kod till nätverkets kalender", "qr.help": "Skanna koden med mobilen för att prenumerera på nätverkets kalender.",
		"page":            "Nätverkets sida:",
		"kind.geographic": "Geografiskt nätverk", "kind.professional": "Yrkesnätverk", "kind.interest": "Intressenätverk", "kind.temporary": "Tillfälligt nätverk",
		"notfound.title": "Sidan finns inte", "notfound.text": "Det finns ingen sådan sida.",
		"answer.ACCEPTED": "Ja, jag kommer", "answer.TENTATIVE": "Kanske", "answer.DECLINED": "Nej, jag kan inte",

		"org.joined": "Medlemmar", "org.invited": "Inbjudna som inte har tackat ja än",
		"org.title": "Arrangörsvy", "org.intro": "Den här sidan är din personliga arrangörslänk. Dela den inte.",
		"org.forbidden.title": "Du är inte arrangör här", "org.forbidden.text": "Länken gäller bara för nätverkets arrangörer. Be styrelsen om en ny länk om du ska vara arrangör.",
		"org.meetings": "Kommande möten och svar", "org.nomeetings": "Inga kommande möten.",
		"org.chart": "Svar per möte", "org.chart.desc": "Staplar med antal som kommer, kanske kommer och inte kan komma till varje kommande möte.",
		"org.invitees": "inbjudna", "org.names": "Vem har svarat vad?", "org.nobody": "ingen",
		"org.bouncing": "Adresser som studsar", "org.bouncing.help": "Mejl till de här medlemmarna kommer inte fram. Be dem uppdatera sin adress hos föreningen.",
		"org.bouncing.none": "Inga adresser studsar.",
		"org.invite":        "Bjud in medlemmar", "org.invite.help": "Sök bland föreningens medlemmar. Svenska tecken spelar ingen roll: ”goteborg” hittar ”Göteborg”.",
		"org.q": "Fritext (namn, ort, bransch, företag)", "org.town": "Ort", "org.industry": "Bransch", "org.company": "Företag",
		"org.count": "Räkna", "org.matches": "medlemmar matchar sökningen.", "org.wouldinvite": "får en inbjudan om du bjuder in nu.",
		"org.skipped": "Hoppas över:", "org.invite.button": "Bjud in", "org.invite.none": "Ingen ny att bjuda in.",
		"skip.already_invited": "redan inbjudna", "skip.already_member": "redan medlemmar", "skip.unsubscribed": "har avslutat inbjudningarna",
		"skip.left": "har lämnat", "skip.hidden": "dolda i sökningen", "skip.bouncing": "adressen studsar", "skip.unknown_member": "okänd medlem", "skip.erased": "raderad",
		"org.cancel": "Ställ in ett möte", "org.cancel.help": "Alla inbjudna får ett mejl och mötet stryks ur deras kalendrar.",
		"org.occurrence": "Möte", "org.reason": "Anledning (skickas till de inbjudna)", "org.cancel.button": "Ställ in mötet",
		"org.move": "Flytta ett möte", "org.move.help": "Alla inbjudna får den nya tiden i sin kalender.",
		"org.newstart": "Ny dag och tid", "org.newlocation": "Ny plats (lämna tomt för samma plats)", "org.move.button": "Flytta mötet",
		"org.close": "Avsluta nätverket", "org.close.help": "Alla kommande möten ställs in i alla inbjudnas kalendrar.", "org.close.button": "Avsluta nätverket …",
		"org.close.confirm": "Vill du verkligen avsluta nätverket?", "org.close.effect": "Alla kommande möten ställs in och alla inbjudna får ett mejl om det. Det går inte att ångra.",
		"org.close.note": "Hälsning till medlemmarna (valfritt)", "org.close.yes": "Ja, avsluta nätverket", "org.close.no": "Nej, tillbaka",
		"org.support": "Be styrelsen om stöd", "org.support.help": "Till exempel lokalhyra, fika eller en talare. Styrelsen får förfrågan via mejl.",
		"org.support.what": "Vad behöver ni?", "org.support.cost": "Kostnad i kronor (valfritt)", "org.support.meeting": "Gäller mötet (valfritt)",
		"org.support.anymeeting": "inget särskilt möte", "org.support.button": "Skicka till styrelsen", "org.support.list": "Tidigare förfrågningar",
		"support.requested": "väntar på beslut", "support.granted": "beviljad", "support.declined": "avslagen",
		"org.done.invited": "Inbjudningarna skickas.", "org.done.cancelled": "Mötet är inställt. De inbjudna får besked.",
		"org.done.moved": "Mötet är flyttat. De inbjudna får den nya tiden.", "org.done.closed": "Nätverket är avslutat.",
		"org.done.support": "Förfrågan är skickad till styrelsen.",
		"org.error":        "Det gick inte:",
		"err.occurrence":   "välj ett av de kommande mötena", "err.start": "ange ny dag och tid, t.ex. 2026-12-09 18:00",
		"err.reason": "anledningen får vara högst 500 tecken", "err.location": "platsen får vara högst 500 tecken",
		"err.search": "fyll i minst ett sökfält", "err.what": "skriv vad ni behöver (högst 2000 tecken)",
		"err.cost_sek": "kostnaden ska vara ett heltal mellan 0 och 10 000 000", "err.note": "hälsningen får vara högst 1000 tecken",
		"err.conflict": "nätverket är redan avslutat",
	},
	"en": {
		"site": "Nätverk", "skip": "Skip to content",
		"footer": "Nätverk — the association's networks. Questions? Reply to the invitation to reach the organizer.",
		"when":   "When", "nextmeeting": "Next meeting", "where": "Where", "schedule": "Recurring", "have": "What we have", "need": "What we need",
		"recorded": "Thank you! Your answer is saved:", "current": "Your answer now:", "noanswer": "You have not answered yet.",
		"question": "Will you come to the network's meetings?", "question1": "Will you come to this meeting?",
		"yes": "Yes, I'm coming", "maybe": "Maybe", "no": "No, I can't come",
		"yes.short": "coming", "maybe.short": "maybe", "no.short": "can't come", "none.short": "no answer",
		"calendar": "Calendar",
		"personal": "My calendar: all my networks", "personal.help": "One subscription with every network you belong to, each meeting showing your own answer. The address is personal: do not share it.", "addics": "Add to my calendar (.ics)", "subscribe": "Subscribe to the network's calendar",
		"subscribe.help":  "A subscription shows every meeting of the network in your calendar and follows when a meeting is moved or cancelled.",
		"subscribe.apple": "Apple Calendar and others (webcal)",
		"feedurl":         "Calendar address:", "stop": "Stop inviting me", "leave": "Leave the network",
		"occ.cancelled": "This meeting is cancelled.",
		"invalid.title": "This link does not work", "invalid.text": "The link is not valid or was changed. Use the link in the latest email from the network.",
		"expired.title": "This link has expired", "expired.text": "The link is no longer valid. Use the link in the latest email from the network.",
		"revoked.title": "This link was revoked", "revoked.text": "The link was withdrawn. Use the link in the latest email from the network.",
		"gone.title": "You no longer receive invitations", "gone.text": "You left the network or stopped its invitations. You can join again with the link at the bottom of the email.",
		"csrf":        "The form had expired. Please try again.",
		"unsub.title": "Invitations from the network", "unsub.status": "Your status:", "unsub.hidden": "hidden from the member search",
		"unsub.confirm.unsubscribe": "Do you want to stop getting invitations from the network?",
		"unsub.confirm.leave":       "Do you want to leave the network?",
		"unsub.confirm.hide":        "Do you want to be hidden from the member search?",
		"unsub.effect.unsubscribe":  "You will get no more invitations, reminders or changes from the network. You can undo this here.",
		"unsub.effect.leave":        "You leave the network and its meetings are removed from your calendar. You can join again here.",
		"unsub.effect.hide":         "Organizers searching the member directory will not find you. You still get invitations from networks you belong to.",
		"unsub.other":               "Other choices",
		"unsub.choose":              "What would you like to do?", "unsub.stop": "Stop sending me invitations", "unsub.leave": "Leave the network",
		"unsub.hide": "Hide me from the member search", "unsub.show": "Show me in the member search again", "unsub.rejoin": "Join the network again",
		"unsub.done.unsubscribe": "Done: you will get no more invitations from the network.", "unsub.done.leave": "Done: you have left the network.",
		"unsub.done.hide": "Done: you no longer appear in the member search.", "unsub.done.show": "Done: you appear in the member search again.",
		"unsub.done.rejoin": "Welcome back! You will receive the network's invitations again.",
		"status.invited":    "invited", "status.joined": "member", "status.left": "left", "status.unsubscribed": "invitations stopped", "status.": "not in the network",
		"closed": "The network has closed. Its meetings are cancelled.", "next": "Coming meetings", "coming": "Answers",
		"moved": "moved", "movedfrom": "moved from", "cancelled": "cancelled", "nomeetings": "No coming meetings.",
		"qr": "QR code of the network's calendar", "qr.help": "Scan the code with your phone to subscribe to the network's calendar.",
		"page":            "The network's page:",
		"kind.geographic": "Local network", "kind.professional": "Professional network", "kind.interest": "Interest network", "kind.temporary": "Temporary network",
		"notfound.title": "Page not found", "notfound.text": "There is no such page.",
		"answer.ACCEPTED": "Yes, I'm coming", "answer.TENTATIVE": "Maybe", "answer.DECLINED": "No, I can't come",

		"org.joined": "Members", "org.invited": "Invited, not yet said yes",
		"org.title": "Organizer view", "org.intro": "This page is your personal organizer link. Do not share it.",
		"org.forbidden.title": "You are not an organizer here", "org.forbidden.text": "This link works only for the network's organizers. Ask the board for a new link if you should be one.",
		"org.meetings": "Coming meetings and answers", "org.nomeetings": "No coming meetings.",
		"org.chart": "Answers per meeting", "org.chart.desc": "Bars with the number coming, maybe coming and not coming to each coming meeting.",
		"org.invitees": "invited", "org.names": "Who answered what?", "org.nobody": "nobody",
		"org.bouncing": "Bouncing addresses", "org.bouncing.help": "Mail to these members does not arrive. Ask them to update their address with the association.",
		"org.bouncing.none": "No addresses bounce.",
		"org.invite":        "Invite members", "org.invite.help": "Search the association's members. Accents do not matter: “goteborg” finds “Göteborg”.",
		"org.q": "Free text (name, town, industry, company)", "org.town": "Town", "org.industry": "Industry", "org.company": "Company",
		"org.count": "Count", "org.matches": "members match the search.", "org.wouldinvite": "get an invitation if you invite now.",
		"org.skipped": "Skipped:", "org.invite.button": "Invite", "org.invite.none": "Nobody new to invite.",
		"skip.already_invited": "already invited", "skip.already_member": "already members", "skip.unsubscribed": "stopped invitations",
		"skip.left": "left", "skip.hidden": "hidden from search", "skip.bouncing": "address bounces", "skip.unknown_member": "unknown member", "skip.erased": "erased",
		"org.cancel": "Cancel a meeting", "org.cancel.help": "Everyone invited gets an email and the meeting is struck from their calendars.",
		"org.occurrence": "Meeting", "org.reason": "Reason (sent to those invited)", "org.cancel.button": "Cancel the meeting",
		"org.move": "Move a meeting", "org.move.help": "Everyone invited gets the new time in their calendar.",
		"org.newstart": "New day and time", "org.newlocation": "New place (leave empty to keep the place)", "org.move.button": "Move the meeting",
		"org.close": "Close the network", "org.close.help": "Every coming meeting is cancelled in every invitee's calendar.", "org.close.button": "Close the network …",
		"org.close.confirm": "Do you really want to close the network?", "org.close.effect": "Every coming meeting is cancelled and everyone invited gets an email about it. This cannot be undone.",
		"org.close.note": "A note to the members (optional)", "org.close.yes": "Yes, close the network", "org.close.no": "No, go back",
		"org.support": "Ask the board for support", "org.support.help": "For example a room, coffee or a speaker. The board gets the request by email.",
		"org.support.what": "What do you need?", "org.support.cost": "Cost in SEK (optional)", "org.support.meeting": "For the meeting (optional)",
		"org.support.anymeeting": "no particular meeting", "org.support.button": "Send to the board", "org.support.list": "Earlier requests",
		"support.requested": "awaiting decision", "support.granted": "granted", "support.declined": "declined",
		"org.done.invited": "The invitations are on their way.", "org.done.cancelled": "The meeting is cancelled. Those invited are told.",
		"org.done.moved": "The meeting is moved. Those invited get the new time.", "org.done.closed": "The network is closed.",
		"org.done.support": "The request was sent to the board.",
		"org.error":        "That did not work:",
		"err.occurrence":   "choose one of the coming meetings", "err.start": "give the new day and time, e.g. 2026-12-09 18:00",
		"err.reason": "the reason may be at most 500 characters", "err.location": "the place may be at most 500 characters",
		"err.search": "fill in at least one search field", "err.what": "say what you need (at most 2000 characters)",
		"err.cost_sek": "the cost must be a whole number between 0 and 10,000,000", "err.note": "the note may be at most 1000 characters",
		"err.conflict": "the network is already closed",
	},
}

// t returns the text for key in lang (Swedish when missing).
func t(lang, key string) string {
	if s, ok := messages[lang][key]; ok {
		return s
	}
	return messages["sv"][key]
}

// hasText reports whether key has a text.
func hasText(key string) bool {
	_, ok := messages["sv"][key]
	return ok
}

// langFor picks the page language: ?lang= when given (a member switching
// language), else the member's locale when known, else the browser's
// Accept-Language in order of preference (Swedish and its neighbours
// read Swedish; English; anything else falls through), else Swedish.
func langFor(r *http.Request, memberLocale string) string {
	if q := r.URL.Query().Get("lang"); q == "en" || q == "sv" {
		return q
	}
	if memberLocale == "en" || memberLocale == "sv" {
		return memberLocale
	}
	for _, tag := range acceptLanguages(r.Header.Get("Accept-Language")) {
		switch {
		case strings.HasPrefix(tag, "sv"), strings.HasPrefix(tag, "nb"), strings.HasPrefix(tag, "nn"), strings.HasPrefix(tag, "da"), strings.HasPrefix(tag, "no"):
			return "sv"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "sv"
}

// acceptLanguages returns the language tags of an Accept-Language header
// (RFC 9110 §12.5.4), lower-cased, most preferred first; tags with q=0
// are left out.
func acceptLanguages(h string) []string {
	type tagQ struct {
		tag string
		q   float64
	}
	var tags []tagQ
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		if tag == "" || len(tags) >= 20 {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q = parseQ(v)
		}
		if q > 0 {
			tags = append(tags, tagQ{tag, q})
		}
	}
	// A stable insertion sort keeps the header's order among equal q.
	for i := 1; i < len(tags); i++ {
		for j := i; j > 0 && tags[j].q > tags[j-1].q; j-- {
			tags[j], tags[j-1] = tags[j-1], tags[j]
		}
	}
	out := make([]string, len(tags))
	for i, tq := range tags {
		out[i] = tq.tag
	}
	return out
}

// parseQ reads a qvalue ("0", "0.8", "1.000"); anything else counts as 0.
func parseQ(v string) float64 {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 5 || (v[0] != '0' && v[0] != '1') {
		return 0
	}
	q, scale := float64(v[0]-'0'), 0.1
	if len(v) > 1 {
		if v[1] != '.' {
			return 0
		}
		for _, c := range v[2:] {
			if c < '0' || c > '9' {
				return 0
			}
			q += float64(c-'0') * scale
			scale /= 10
		}
	}
	return min(q, 1)
}
