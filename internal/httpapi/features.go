package httpapi

import (
	"html/template"
	"maps"
	"net/http"
)

// The routes, pages and texts of capacity and waitlist, attendance, and
// choosing the meeting time (issue 12). The quorum rule has no routes of
// its own: it is two fields of a series (quorum_min, quorum_before), and
// the scheduler applies it.

// featureRoutes adds the features' routes to mux.
func (s *Server) featureRoutes(mux *http.ServeMux) {
	// Capacity and waitlist (the waitlist itself is in GET
	// /api/v1/meetings/{id}/occurrences).
	mux.HandleFunc("PUT /api/v1/meetings/{id}/capacity", s.roles(organizers, s.handleSetCapacity))

	// Attendance and the yearly report.
	mux.HandleFunc("PUT /api/v1/meetings/{id}/attendance", s.roles(organizers, s.handlePutAttendance))
	mux.HandleFunc("GET /api/v1/meetings/{id}/attendance", s.roles(organizers, s.handleGetAttendance))
	mux.HandleFunc("GET /api/v1/networks/{id}/report", s.roles(organizers, s.handleReport))

	// Choosing the meeting time.
	mux.HandleFunc("POST /api/v1/networks/{id}/polls", s.roles(organizers, s.handleCreatePoll))
	mux.HandleFunc("GET /api/v1/networks/{id}/polls", s.roles(organizers, s.handleListPolls))
	mux.HandleFunc("GET /api/v1/polls/{id}", s.roles(organizers, s.handleGetPoll))
	mux.HandleFunc("POST /api/v1/polls/{id}/decide", s.roles(organizers, s.handleDecidePoll))
	mux.HandleFunc("GET /vote/{token}", s.public(s.handleVotePage))
	mux.HandleFunc("POST /vote/{token}", s.public(s.handleVotePost))

	// The organizer's report page (the organizer link's token).
	mux.HandleFunc("GET /organize/{token}/report", s.public(s.handleOrganizerReport))
	mux.HandleFunc("GET /organize/{token}/report.csv", s.public(s.handleOrganizerReportCSV))
	mux.HandleFunc("POST /organize/{token}/attendance", s.public(s.handleOrganizerAttendance))
	mux.HandleFunc("POST /organize/{token}/decide", s.public(s.handleOrganizerDecide))
}

// featurePageNames are the features' pages, each drawn inside layout.html.
var featurePageNames = []string{"vote", "report"}

// featurePages holds the parsed feature pages; their templates have ft
// (the features' texts, falling back to the pages' own) besides t.
var featurePages = func() map[string]*template.Template {
	fm := maps.Clone(funcs)
	fm["ft"] = ft
	out := map[string]*template.Template{}
	for _, page := range featurePageNames {
		out[page] = template.Must(template.New("layout").Funcs(fm).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html"))
	}
	return out
}()

// renderFeaturePage writes a feature page with the headers every page
// carries (as renderPage does for the others).
func (s *Server) renderFeaturePage(w http.ResponseWriter, status int, page string, data any) {
	s.writePage(w, status, page, featurePages[page], data)
}

// ft returns a text of the features' pages in lang (Swedish when missing),
// or else the pages' own text of that key.
func ft(lang, key string) string {
	if s, ok := featureTexts[lang][key]; ok {
		return s
	}
	if s, ok := featureTexts["sv"][key]; ok {
		return s
	}
	return t(lang, key)
}

// featureTexts are the features' texts in Swedish and English; a test
// checks that both have every key.
var featureTexts = map[string]map[string]string{
	"sv": {
		"waitlist.full":      "Mötet är fullt. Du står på reservlistan, plats %d, och får ett mejl om en plats blir ledig.",
		"waitlist.place":     "Du har en plats på mötet.",
		"vote.title":         "Välj mötestid",
		"vote.intro":         "Nätverket ska börja träffas. Svara för varje tid om den passar dig: ja, om det behövs eller nej.",
		"vote.yes":           "Ja",
		"vote.if_need_be":    "Om det behövs",
		"vote.no":            "Nej",
		"vote.send":          "Spara mina svar",
		"vote.saved":         "Tack! Dina svar är sparade. Du kan ändra dem tills arrangören har bestämt tiden.",
		"vote.decided":       "Tiden är bestämd: %s. Du får en kalenderinbjudan.",
		"vote.option":        "Alternativ %d",
		"report.title":       "Närvaro och rapport",
		"report.year":        "År",
		"report.rate":        "Närvaro",
		"report.members":     "Medlemmar",
		"report.active":      "Aktiva i år (kom minst en gång)",
		"report.lapsed":      "Har missat tre möten i rad",
		"report.lapsed.help": "De får fortsatt alla inbjudningar, med en vänlig rad om att vi saknar dem.",
		"report.nolapsed":    "Ingen har missat tre möten i rad.",
		"report.meetings":    "Möten med närvaro",
		"report.nomeetings":  "Ingen närvaro är registrerad det här året.",
		"report.came":        "kom",
		"report.absent":      "kom inte",
		"report.expected":    "väntade",
		"report.chart":       "Närvaro per möte",
		"report.chart.desc":  "Staplar med antalet som kom till varje möte, av dem som var inbjudna.",
		"report.csv":         "Ladda ner rapporten (CSV) för styrelsen",
		"report.mark":        "Registrera närvaro",
		"report.mark.help":   "Bocka i dem som kom. De andra registreras som frånvarande.",
		"report.mark.none":   "Inga möten att registrera närvaro för ännu.",
		"report.save":        "Spara närvaron",
		"report.saved":       "Närvaron är sparad.",
		"report.back":        "Tillbaka till arrangörsvyn",
		"report.prev":        "Föregående år",
		"report.next":        "Nästa år",
		"waitlist.title":     "Platser och reservlistor",
		"waitlist.none":      "Inga kommande möten har ett begränsat antal platser.",
		"waitlist.capacity":  "platser",
		"waitlist.confirmed": "Har plats",
		"waitlist.waiting":   "Reservlista",
		"poll.title":         "Omröstning om mötestid",
		"poll.voters":        "har röstat",
		"poll.suggested":     "föreslås",
		"poll.pick":          "Välj den här tiden",
		"poll.picked":        "Tiden är vald och alla inbjudna får en kalenderinbjudan.",
		"poll.none":          "Ingen pågående omröstning.",
	},
	"en": {
		"waitlist.full":      "The meeting is full. You are on the waiting list, place %d, and will get an email if a place opens up.",
		"waitlist.place":     "You have a place at the meeting.",
		"vote.title":         "Choose the meeting time",
		"vote.intro":         "The network is about to start meeting. For each time, say whether it suits you: yes, if need be, or no.",
		"vote.yes":           "Yes",
		"vote.if_need_be":    "If need be",
		"vote.no":            "No",
		"vote.send":          "Save my answers",
		"vote.saved":         "Thank you! Your answers are saved. You can change them until the organizer has picked the time.",
		"vote.decided":       "The time is decided: %s. You will get a calendar invitation.",
		"vote.option":        "Option %d",
		"report.title":       "Attendance and report",
		"report.year":        "Year",
		"report.rate":        "Attendance",
		"report.members":     "Members",
		"report.active":      "Active this year (came at least once)",
		"report.lapsed":      "Missed three meetings in a row",
		"report.lapsed.help": "They keep getting every invitation, with a friendly line saying we miss them.",
		"report.nolapsed":    "Nobody has missed three meetings in a row.",
		"report.meetings":    "Meetings with attendance",
		"report.nomeetings":  "No attendance is recorded for this year.",
		"report.came":        "came",
		"report.absent":      "did not come",
		"report.expected":    "expected",
		"report.chart":       "Attendance per meeting",
		"report.chart.desc":  "Bars with the number who came to each meeting, of those invited.",
		"report.csv":         "Download the report (CSV) for the board",
		"report.mark":        "Record attendance",
		"report.mark.help":   "Tick those who came. The others are recorded as absent.",
		"report.mark.none":   "No meetings to record attendance for yet.",
		"report.save":        "Save attendance",
		"report.saved":       "Attendance is saved.",
		"report.back":        "Back to the organizer view",
		"report.prev":        "Previous year",
		"report.next":        "Next year",
		"waitlist.title":     "Places and waiting lists",
		"waitlist.none":      "No coming meeting has a limited number of places.",
		"waitlist.capacity":  "places",
		"waitlist.confirmed": "Has a place",
		"waitlist.waiting":   "Waiting list",
		"poll.title":         "Vote on the meeting time",
		"poll.voters":        "have voted",
		"poll.suggested":     "suggested",
		"poll.pick":          "Pick this time",
		"poll.picked":        "The time is picked and every invitee gets a calendar invitation.",
		"poll.none":          "No poll is open.",
	},
}
