// Package register reads the association's member register from CSV or
// JSON into validated import rows. A bad row is rejected with its row
// number and reason and never stops the rest; what is left is imported
// all or nothing by the store.
package register

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/natverk/natverk/internal/natverk"
)

// Result is a parsed register: the rows to import, the rows refused, and
// the columns ignored.
type Result struct {
	Rows           []natverk.ImportRow
	Rejected       []natverk.RejectedRow
	UnknownColumns []string
}

// MaxRows caps one import.
const MaxRows = 1_000_000

// columns maps accepted header names (folded) to fields.
var columns = map[string]string{
	"email": "email", "e-mail": "email", "e-post": "email", "epost": "email", "mail": "email", "e-postadress": "email",
	"name": "name", "namn": "name", "full name": "name",
	"town": "town", "city": "town", "ort": "town", "stad": "town", "kommun": "town",
	"industry": "industry", "bransch": "industry",
	"company": "company", "foretag": "company", "organisation": "company", "organization": "company",
	"title": "title", "titel": "title", "roll": "title",
	"locale": "locale", "language": "locale", "sprak": "locale",
}

// ParseCSV reads a CSV register: UTF-8 with or without a BOM, separated
// by "," or ";" (whichever the header uses), with a header row naming the
// columns (email and name required; town, industry, company, title,
// locale optional; others ignored and listed). Row numbers count the
// header as row 1.
func ParseCSV(r io.Reader) (*Result, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("register: read: %w", err)
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	cr := csv.NewReader(br)
	if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, natverk.Errorf(natverk.EINVALID, "The file is empty: it needs a header row (email, name, town, industry, company, title, locale).")
	} else if err != nil {
		return nil, natverk.Errorf(natverk.EINVALID, "Row 1 (the header) cannot be read: %v", err)
	}
	res := &Result{}
	idx := map[string]int{}
	for i, h := range header {
		key := natverk.Fold(strings.TrimSpace(h))
		if f, ok := columns[key]; ok {
			if _, dup := idx[f]; !dup {
				idx[f] = i
				continue
			}
		}
		res.UnknownColumns = append(res.UnknownColumns, strings.TrimSpace(h))
	}
	var missing []string
	for _, f := range []string{"email", "name"} {
		if _, ok := idx[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, natverk.Errorf(natverk.EINVALID, "The header row lacks the column(s) %s (found: %s).", strings.Join(missing, ", "), strings.Join(header, ", "))
	}
	get := func(rec []string, f string) string {
		if i, ok := idx[f]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	seen := map[string]int{}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(pe.Err, csv.ErrFieldCount) {
				res.Rejected = append(res.Rejected, natverk.RejectedRow{Row: row, Reason: "cannot be read: " + pe.Err.Error()})
				// The CSV reader cannot resynchronize after a broken quote:
				// stop here, keeping the rows read so far.
				return res, nil
			}
			return nil, fmt.Errorf("register: read row %d: %w", row, err)
		}
		if len(res.Rows)+len(res.Rejected) >= MaxRows {
			return nil, natverk.Errorf(natverk.ETOOLARGE, "The file has more than %d rows; split it.", MaxRows)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		in := natverk.MemberInput{Email: get(rec, "email"), Name: get(rec, "name"), Town: get(rec, "town"), Industry: get(rec, "industry"),
			Company: get(rec, "company"), Title: get(rec, "title"), Locale: get(rec, "locale")}
		res.add(row, in, seen)
	}
	return res, nil
}

// add validates one row and files it as a row or a rejection.
func (res *Result) add(row int, in natverk.MemberInput, seen map[string]int) {
	for _, v := range []string{in.Email, in.Name, in.Town, in.Industry, in.Company, in.Title} {
		if !utf8.ValidString(v) {
			res.Rejected = append(res.Rejected, natverk.RejectedRow{Row: row, Reason: "is not UTF-8 (save the file as UTF-8)"})
			return
		}
	}
	norm, err := in.Normalize()
	if err != nil {
		var reasons []string
		for _, f := range natverk.ErrorFields(err) {
			reasons = append(reasons, f.Field+" "+f.Reason)
		}
		res.Rejected = append(res.Rejected, natverk.RejectedRow{Row: row, Email: strings.TrimSpace(in.Email), Reason: strings.Join(reasons, "; ")})
		return
	}
	key := natverk.EmailKey(norm.Email)
	if first, dup := seen[key]; dup {
		res.Rejected = append(res.Rejected, natverk.RejectedRow{Row: row, Email: norm.Email, Reason: fmt.Sprintf("repeats the address of row %d", first)})
		return
	}
	seen[key] = row
	res.Rows = append(res.Rows, natverk.ImportRow{Row: row, MemberInput: norm})
}

// ParseJSON reads a JSON array of member objects ({"email", "name",
// "town", "industry", "company", "title", "locale"}). Rows are numbered
// from 1.
func ParseJSON(r io.Reader) (*Result, error) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return nil, natverk.Errorf(natverk.EINVALID, "The body is not a JSON array of members: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, natverk.Errorf(natverk.EINVALID, "The body must be a JSON array of members.")
	}
	res := &Result{}
	seen := map[string]int{}
	for row := 1; dec.More(); row++ {
		if row > MaxRows {
			return nil, natverk.Errorf(natverk.ETOOLARGE, "More than %d members; split the import.", MaxRows)
		}
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			return nil, natverk.Errorf(natverk.EINVALID, "Member %d is not a JSON object: %v", row, err)
		}
		var in natverk.MemberInput
		str := func(k string) string {
			v, ok := raw[k]
			if !ok || v == nil {
				return ""
			}
			if s, ok := v.(string); ok {
				return s
			}
			return fmt.Sprint(v)
		}
		in = natverk.MemberInput{Email: str("email"), Name: str("name"), Town: str("town"), Industry: str("industry"), Company: str("company"), Title: str("title"), Locale: str("locale")}
		for k := range raw {
			if _, ok := columns[k]; !ok {
				if !contains(res.UnknownColumns, k) {
					res.UnknownColumns = append(res.UnknownColumns, k)
				}
			}
		}
		res.add(row, in, seen)
	}
	if _, err := dec.Token(); err != nil {
		return nil, natverk.Errorf(natverk.EINVALID, "The JSON array is not closed: %v", err)
	}
	return res, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
