package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Swedish first names, surnames, towns, industries and company words for
// the synthetic register: realistic spread, diacritics included, so the
// directory's folding ("goteborg" finds "Göteborg") is exercised.
var (
	firstNames = []string{"Åsa", "Björn", "Cecilia", "Dag", "Elin", "Fredrik", "Gunilla", "Håkan", "Ingrid", "Jöns",
		"Karin", "Lars", "Maja", "Nils", "Olle", "Pia", "Ragnar", "Sofia", "Torbjörn", "Ulla", "Viktor", "Ylva", "Örjan",
		"Anna", "Erik", "Maria", "Johan", "Eva", "Per", "Kristina", "Mikael", "Lena", "Anders", "Sara", "Jonas", "Malin",
		"Mats", "Emma", "Göran", "Linnéa", "Stefan", "Hanna", "Jörgen", "Agneta", "Magnus", "Frida", "Tomas", "Astrid"}
	surnames = []string{"Öberg", "Ståhl", "Malm", "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson",
		"Olsson", "Persson", "Svensson", "Gustafsson", "Pettersson", "Jönsson", "Lindström", "Lindqvist", "Åkesson",
		"Bergström", "Sjöberg", "Ekström", "Hägg", "Löfgren", "Wallén", "Lundgren", "Nyström", "Holmberg", "Sandén",
		"Forsberg", "Åström", "Engström", "Dahl", "Björk", "Söderberg", "Falk", "Blom", "Östlund", "Hedlund"}
	towns = []string{"Göteborg", "Malmö", "Stockholm", "Uppsala", "Västerås", "Örebro", "Linköping", "Helsingborg",
		"Jönköping", "Norrköping", "Lund", "Umeå", "Gävle", "Borås", "Södertälje", "Eskilstuna", "Halmstad", "Växjö",
		"Karlstad", "Sundsvall", "Östersund", "Trollhättan", "Luleå", "Kalmar", "Skövde", "Kristianstad", "Falun",
		"Nyköping", "Visby", "Kiruna", "Ängelholm", "Åre", "Härnösand", "Sölvesborg", "Ystad", "Mölndal"}
	industries = []string{"Logistik", "Vård", "Bank", "Försäkring", "Utbildning", "Bygg", "Handel", "Energi",
		"Livsmedel", "Fordon", "Läkemedel", "IT", "Media", "Juridik", "Fastigheter", "Turism", "Skogsnäring", "Kommun"}
	companyWords = []string{"Hamn", "Skog", "Järn", "Sjö", "Fjäll", "Dal", "Berg", "Öst", "Väst", "Norr", "Syd",
		"Ljus", "Kraft", "Bro", "Älv", "Hav", "Äng", "Gran", "Björk", "Ek"}
	companySuffixes = []string{"bolaget AB", "gruppen", " & Söner", "byrån", "verket", " Konsult AB", "huset", " Handel AB"}
	titles          = []string{"VD", "chef", "ekonomichef", "HR-chef", "projektledare", "säljare", "ingenjör", "sjuksköterska", "lärare", "jurist"}
)

// person is one synthetic member.
type person struct {
	Email, Name, Town, Industry, Company, Title string
}

// people returns n members, the same for the same seed. Addresses are
// unique: m<i>@<domain>.
func people(n int, seed uint64) []person {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	companies := make([]string, 2000)
	for i := range companies {
		companies[i] = companyWords[r.IntN(len(companyWords))] + companyWords[r.IntN(len(companyWords))] + companySuffixes[r.IntN(len(companySuffixes))]
	}
	out := make([]person, n)
	for i := range out {
		// A skewed town distribution: the big cities hold most members.
		town := towns[min(int(r.ExpFloat64()*6), len(towns)-1)]
		out[i] = person{
			Email:    fmt.Sprintf("m%d@medlem.example.org", i),
			Name:     firstNames[r.IntN(len(firstNames))] + " " + surnames[r.IntN(len(surnames))],
			Town:     town,
			Industry: industries[r.IntN(len(industries))],
			Company:  companies[r.IntN(len(companies))],
			Title:    titles[r.IntN(len(titles))],
		}
	}
	return out
}

// registerCSV writes members as the CSV the import takes (header row,
// comma-separated, quoted where needed).
func registerCSV(ps []person) []byte {
	var b bytes.Buffer
	b.WriteString("email,name,town,industry,company,title\n")
	q := func(s string) string {
		if strings.ContainsAny(s, ",\"\n") {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		return s
	}
	for _, p := range ps {
		b.WriteString(q(p.Email) + "," + q(p.Name) + "," + q(p.Town) + "," + q(p.Industry) + "," + q(p.Company) + "," + q(p.Title) + "\n")
	}
	return b.Bytes()
}

// fold lowers s and strips the Swedish diacritics, as a member would
// type a search ("goteborg" for "Göteborg").
func fold(s string) string {
	return strings.NewReplacer("å", "a", "ä", "a", "ö", "o", "é", "e", "Å", "a", "Ä", "a", "Ö", "o").Replace(strings.ToLower(s))
}
