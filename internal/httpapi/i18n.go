package httpapi

import (
	"net/http"
	"strings"
)

// messages holds the pages' texts in Swedish (default) and English.
var messages = map[string]map[string]string{
	"sv": {
		"footer": "Nätverk — föreningens nätverk. Frågor? Svara på inbjudan så når du arrangören.",
		"when":   "När", "where": "Var", "schedule": "Återkommande", "have": "Vad vi har", "need": "Vad vi behöver",
		"recorded": "Tack! Ditt svar är sparat:", "current": "Ditt svar just nu:", "noanswer": "Du har inte svarat än.",
		"question": "Kommer du på nätverkets möten?", "question1": "Kommer du på det här mötet?",
		"yes": "Ja, jag kommer", "maybe": "Kanske", "no": "Nej, jag kan inte",
		"yes.short": "kommer", "maybe.short": "kanske",
		"calendar": "Kalender", "addics": "Lägg till i min kalender (.ics)", "subscribe": "Prenumerera på nätverkets kalender",
		"feedurl": "Kalenderadress:", "stop": "Sluta skicka inbjudningar till mig / lämna nätverket",
		"invalid.title": "Länken fungerar inte", "invalid.text": "Länken är ogiltig eller har ändrats. Använd länken i det senaste mejlet från nätverket.",
		"expired.title": "Länken har gått ut", "expired.text": "Länken gäller inte längre. Använd länken i det senaste mejlet från nätverket.",
		"revoked.title": "Länken är återkallad", "revoked.text": "Länken har dragits tillbaka. Använd länken i det senaste mejlet från nätverket.",
		"gone.title": "Du får inte längre inbjudningar", "gone.text": "Du har lämnat nätverket eller avslutat inbjudningarna. Du kan gå med igen via länken längst ned i mejlet.",
		"csrf":        "Formuläret hade gått ut. Tryck på ditt svar igen.",
		"unsub.title": "Inbjudningar från nätverket", "unsub.status": "Din status:", "unsub.hidden": "dold i medlemssökningen",
		"unsub.choose": "Vad vill du göra?", "unsub.stop": "Sluta skicka inbjudningar", "unsub.leave": "Lämna nätverket",
		"unsub.hide": "Dölj mig i medlemssökningen", "unsub.show": "Visa mig i medlemssökningen igen", "unsub.rejoin": "Gå med i nätverket igen",
		"unsub.done.unsubscribe": "Klart: du får inga fler inbjudningar från nätverket.", "unsub.done.leave": "Klart: du har lämnat nätverket.",
		"unsub.done.hide": "Klart: du syns inte längre i medlemssökningen.", "unsub.done.show": "Klart: du syns i medlemssökningen igen.",
		"unsub.done.rejoin": "Välkommen tillbaka! Du får nätverkets inbjudningar igen.",
		"status.invited":    "inbjuden", "status.joined": "medlem", "status.left": "har lämnat", "status.unsubscribed": "inbjudningar avslutade",
		"closed": "Nätverket är avslutat. Dess möten är inställda.", "next": "Kommande möten", "coming": "Svar",
		"moved": "flyttat", "cancelled": "inställt", "nomeetings": "Inga kommande möten.", "qr": "QR-kod till nätverkets kalender",
		"notfound.title": "Sidan finns inte", "notfound.text": "Det finns ingen sådan sida.",
		"answer.ACCEPTED": "Ja, jag kommer", "answer.TENTATIVE": "Kanske", "answer.DECLINED": "Nej, jag kan inte",
	},
	"en": {
		"footer": "Nätverk — the association's networks. Questions? Reply to the invitation to reach the organizer.",
		"when":   "When", "where": "Where", "schedule": "Recurring", "have": "What we have", "need": "What we need",
		"recorded": "Thank you! Your answer is saved:", "current": "Your answer now:", "noanswer": "You have not answered yet.",
		"question": "Will you come to the network's meetings?", "question1": "Will you come to this meeting?",
		"yes": "Yes, I'm coming", "maybe": "Maybe", "no": "No, I can't come",
		"yes.short": "coming", "maybe.short": "maybe",
		"calendar": "Calendar", "addics": "Add to my calendar (.ics)", "subscribe": "Subscribe to the network's calendar",
		"feedurl": "Calendar address:", "stop": "Stop inviting me / leave the network",
		"invalid.title": "This link does not work", "invalid.text": "The link is not valid or was changed. Use the link in the latest email from the network.",
		"expired.title": "This link has expired", "expired.text": "The link is no longer valid. Use the link in the latest email from the network.",
		"revoked.title": "This link was revoked", "revoked.text": "The link was withdrawn. Use the link in the latest email from the network.",
		"gone.title": "You no longer receive invitations", "gone.text": "You left the network or stopped its invitations. You can join again with the link at the bottom of the email.",
		"csrf":        "The form had expired. Please press your answer again.",
		"unsub.title": "Invitations from the network", "unsub.status": "Your status:", "unsub.hidden": "hidden from the member search",
		"unsub.choose": "What would you like to do?", "unsub.stop": "Stop sending me invitations", "unsub.leave": "Leave the network",
		"unsub.hide": "Hide me from the member search", "unsub.show": "Show me in the member search again", "unsub.rejoin": "Join the network again",
		"unsub.done.unsubscribe": "Done: you will get no more invitations from the network.", "unsub.done.leave": "Done: you have left the network.",
		"unsub.done.hide": "Done: you no longer appear in the member search.", "unsub.done.show": "Done: you appear in the member search again.",
		"unsub.done.rejoin": "Welcome back! You will receive the network's invitations again.",
		"status.invited":    "invited", "status.joined": "member", "status.left": "left", "status.unsubscribed": "invitations stopped",
		"closed": "The network has closed. Its meetings are cancelled.", "next": "Coming meetings", "coming": "Answers",
		"moved": "moved", "cancelled": "cancelled", "nomeetings": "No coming meetings.", "qr": "QR code of the network's calendar",
		"notfound.title": "Page not found", "notfound.text": "There is no such page.",
		"answer.ACCEPTED": "Yes, I'm coming", "answer.TENTATIVE": "Maybe", "answer.DECLINED": "No, I can't come",
	},
}

// t returns the text for key in lang (Swedish when missing).
func t(lang, key string) string {
	if s, ok := messages[lang][key]; ok {
		return s
	}
	return messages["sv"][key]
}

// langFor picks the page language: the member's locale when known, else
// the browser's Accept-Language (sv unless it prefers English).
func langFor(r *http.Request, memberLocale string) string {
	if memberLocale == "en" || memberLocale == "sv" {
		if q := r.URL.Query().Get("lang"); q == "en" || q == "sv" {
			return q
		}
		return memberLocale
	}
	if q := r.URL.Query().Get("lang"); q == "en" || q == "sv" {
		return q
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(tag)
		switch {
		case strings.HasPrefix(tag, "sv"), strings.HasPrefix(tag, "nb"), strings.HasPrefix(tag, "da"), strings.HasPrefix(tag, "no"):
			return "sv"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "sv"
}
