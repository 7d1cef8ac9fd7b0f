package register_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/register"
)

func TestCSV(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		rows     int
		rejected []natverk.RejectedRow
		unknown  []string
	}{
		{"Comma", "email,name,town\nasa@example.org,Åsa Öberg,Göteborg\nbo@example.org,Bo,Malmö\n", 2, nil, nil},
		{"BOMSemicolon", "\ufeffE-post;Namn;Ort;Bransch;Företag;Medlemsnr\nasa@example.org;Åsa;Göteborg;Logistik;AB;17\n", 1, nil, []string{"Medlemsnr"}},
		{"BadRows", "email,name\nnot-an-address,X\nok@example.org,\nok2@example.org,Ok\nOK2@example.org,Dup\n", 1,
			[]natverk.RejectedRow{{Row: 2, Email: "not-an-address", Reason: "email is not a valid address"}, {Row: 3, Email: "ok@example.org", Reason: "name is required"}, {Row: 5, Email: "OK2@example.org", Reason: "repeats the address of row 4"}}, nil},
		{"CRLFAndBlank", "email,name\r\na@example.org,A\r\n\r\nb@example.org,B\r\n", 2, nil, nil},
		{"Injection", "email,name\n\"a@example.org\r\nBcc: x@evil\",A\nb@example.org,\"B\nC\"\n", 0,
			[]natverk.RejectedRow{{Row: 2, Email: "a@example.org\nBcc: x@evil", Reason: "email is not a valid address"}, {Row: 3, Email: "b@example.org", Reason: "name must be on one line"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := register.ParseCSV(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) != tc.rows {
				t.Errorf("rows = %d, want %d: %+v", len(res.Rows), tc.rows, res.Rows)
			}
			if d := cmp.Diff(tc.rejected, res.Rejected); d != "" {
				t.Errorf("rejected (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.unknown, res.UnknownColumns); d != "" {
				t.Errorf("unknown (-want +got):\n%s", d)
			}
		})
	}
}

func TestCSVHeaderErrors(t *testing.T) {
	for _, in := range []string{"", "name,town\nA,B\n"} {
		_, err := register.ParseCSV(strings.NewReader(in))
		if natverk.ErrorCode(err) != natverk.EINVALID {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func TestJSON(t *testing.T) {
	res, err := register.ParseJSON(strings.NewReader(`[{"email":"a@example.org","name":"A","town":"Lund","nr":1},{"email":"bad","name":"B"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || len(res.Rejected) != 1 || res.Rejected[0].Row != 2 || !cmp.Equal(res.UnknownColumns, []string{"nr"}) {
		t.Fatalf("res = %+v", res)
	}
	for _, in := range []string{`{}`, `[{"email":`, `["x"]`} {
		if _, err := register.ParseJSON(strings.NewReader(in)); natverk.ErrorCode(err) != natverk.EINVALID {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

func FuzzCSV(f *testing.F) {
	f.Add("email,name\na@example.org,A\n")
	f.Add("\ufeffe-post;namn\n\"x;y\";z\n")
	f.Add("email,name\n\"unterminated,x\n")
	f.Fuzz(func(t *testing.T, in string) {
		res, err := register.ParseCSV(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, r := range res.Rows {
			if _, err := r.MemberInput.Normalize(); err != nil {
				t.Fatalf("row %d passed but does not validate: %v", r.Row, err)
			}
			if strings.ContainsAny(r.Email+r.Name+r.Town, "\r\n") {
				t.Fatalf("row %d holds a line break", r.Row)
			}
		}
	})
}

func BenchmarkCSV100k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("email;namn;ort;bransch;företag\n")
	for i := 0; i < 100_000; i++ {
		fmt.Fprintf(&sb, "m%d@example.org;Medlem %d Åberg;Göteborg;Logistik;Företag %d AB\n", i, i, i%500)
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := register.ParseCSV(strings.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
