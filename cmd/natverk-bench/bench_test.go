package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wneessen/go-mail"

	"github.com/natverk/natverk/internal/register"
	"github.com/natverk/natverk/internal/smtptest"
)

// wrkReport is wrk 4.1's report of a run, as it prints it.
const wrkReport = `Running 1s test @ http://127.0.0.1:18777/
  2 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    19.49ms   10.33ms  43.43ms   60.43%
    Req/Sec   254.00     19.78   282.00     63.64%
  Latency Distribution
     50%   21.03ms
     75%   28.46ms
     90%   32.56ms
     99%   38.62ms
  278 requests in 1.10s, 2.98MB read
Requests/sec:    252.67
Transfer/sec:      2.71MB
`

func TestParseWrk(t *testing.T) {
	for _, tc := range []struct {
		name    string
		out     string
		want    wrkResult
		wantErr bool
	}{
		{"Clean", wrkReport, wrkResult{rps: 252.67, p99: 38620 * time.Microsecond}, false},
		{"Microseconds", strings.Replace(wrkReport, "99%   38.62ms", "99%  812.00us", 1), wrkResult{rps: 252.67, p99: 812 * time.Microsecond}, false},
		{"Seconds", strings.Replace(wrkReport, "99%   38.62ms", "99%    1.20s", 1), wrkResult{rps: 252.67, p99: 1200 * time.Millisecond}, false},
		{"Errors", strings.Replace(wrkReport, "Requests/sec:", "  Socket errors: connect 0, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 17\nRequests/sec:", 1),
			wrkResult{rps: 252.67, p99: 38620 * time.Microsecond, non2xx: 17, sockErr: 5}, false},
		{"NoLatency", strings.Replace(wrkReport, "     99%   38.62ms\n", "", 1), wrkResult{}, true},
		{"Nothing", "unable to connect to 127.0.0.1:1 Connection refused\n", wrkResult{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWrk(tc.out)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			got.p99 = got.p99.Round(time.Microsecond)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(wrkResult{})); diff != "" {
				t.Errorf("parseWrk (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNatsBenchRate(t *testing.T) {
	out := "05:20:30 [1] Starting JetStream synchronous publisher, publishing 5,000 messages\n\n" +
		"NATS JetStream synchronous publisher stats: 10,975 msgs/sec ~ 7.3 MiB/sec ~ min: 24.08us ~ avg: 90.88us\n"
	m := natsBenchRate.FindStringSubmatch(out)
	if m == nil || m[1] != "10,975" {
		t.Fatalf("rate = %q, want 10,975", m)
	}
}

// sinkDump is a message as smtp-sink -d writes it: its trace headers,
// its Received header, then the message as received.
const sinkDump = "X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Helo-Args: natverk.localhost\n" +
	"X-Mail-Args: <bounces@natverk.localhost>\nX-Rcpt-Args: <m0@medlem.example.org>\n" +
	"Received: from natverk.localhost ([127.0.0.1])\n\tby smtp-sink (smtp-sink) with ESMTP id 0008ff4a;\n\tSat, 28 Nov 2026 05:15:26 +0000 (UTC)\n" +
	"Subject: Inbjudan\nTo: <m0@medlem.example.org>\nContent-Type: text/plain\n\nHej!\n\tindented line\n"

func TestCapturedMessage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "msg.0008ff4a"), []byte(sinkDump), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := capturedMessage(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "Subject: Inbjudan\nTo: <m0@medlem.example.org>\nContent-Type: text/plain\n\nHej!\n\tindented line\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("captured message (-want +got):\n%s", diff)
	}
	if n := wireSize(got); n != len(want)+6 {
		t.Errorf("wireSize = %d, want %d (six LFs become CRLF)", n, len(want)+6)
	}
	if _, err := capturedMessage(t.TempDir()); err == nil {
		t.Error("an empty capture directory gave no error")
	}
}

func TestResultTargets(t *testing.T) {
	for _, tc := range []struct {
		name       string
		r          Result
		wantTarget string
		wantOK     bool
	}{
		{"RatioMet", result("fanout", "sqlite", 900, "msgs/s", "go-mail loop", 1000, atLeastRatio(0.85)), "≥ 0.85× go-mail loop", true},
		{"RatioMissed", result("fanout", "sqlite", 800, "msgs/s", "go-mail loop", 1000, atLeastRatio(0.85)), "≥ 0.85× go-mail loop", false},
		{"UpperRatio", result("feed_full_p99", "sqlite", 14, "ms p99", "net/http", 10, atMostRatio(1.5)), "≤ 1.5× net/http", true},
		{"NoReference", result("fanout", "sqlite", 800, "msgs/s", "go-mail loop", 0, atLeastRatio(0.85)), "≥ 0.85× go-mail loop", false},
		{"Absolute", result("memory", "sqlite", 151, "MB", "", 0, atMost(150)), "≤ 150 MB", false},
		{"AtLeast", result("rsvp_burst", "sqlite", 2000, "answers/s", "", 0, atLeast(2000)), "≥ 2000 answers/s", true},
		{"Report", result("feed_full", "sqlite", 1, "req/s", "nginx", 100, reportOnly()), "report", true},
		{"Failed", failed("feed_full", "sqlite", os.ErrNotExist), "measured", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.r.Target != tc.wantTarget || tc.r.OK != tc.wantOK {
				t.Errorf("target %q ok %v, want %q %v", tc.r.Target, tc.r.OK, tc.wantTarget, tc.wantOK)
			}
		})
	}
	var b bytes.Buffer
	if err := printJSON(&b, []Result{result("memory", "sqlite", 103.14159, "MB", "", 0, atMost(150))}); err != nil {
		t.Fatal(err)
	}
	want := `{"scenario":"memory","store":"sqlite","value":103.1,"unit":"MB","reference":"","reference_value":0,"ratio":0,"target":"≤ 150 MB","ok":true}` + "\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("JSON line (-want +got):\n%s", diff)
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(ds, tc.p); got != tc.want {
			t.Errorf("p%g = %s, want %s", tc.p, got, tc.want)
		}
	}
	if percentile(nil, 99) != 0 {
		t.Error("the percentile of nothing is not 0")
	}
}

func TestUnfoldText(t *testing.T) {
	feed := "DESCRIPTION:Nätverk för chefer.\\n\\nDitt svar: Ja\\, jag kom\r\n mer.\r\nEND:VEVENT\r\n"
	if got := unfoldText(feed); !strings.Contains(got, "Ditt svar: Ja, jag kommer.") {
		t.Errorf("unfolded feed lacks the answer:\n%s", got)
	}
}

// TestRegisterCSV reads the synthetic register with the service's own
// parser: every row imports, with its diacritics.
func TestRegisterCSV(t *testing.T) {
	ps := people(2000, 1)
	res, err := register.ParseCSV(bytes.NewReader(registerCSV(ps)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(ps) || len(res.Rejected) != 0 || len(res.UnknownColumns) != 0 {
		t.Fatalf("parsed %d rows, %d rejected, unknown columns %v; want %d, 0, none", len(res.Rows), len(res.Rejected), res.UnknownColumns, len(ps))
	}
	emails := map[string]bool{}
	for i, r := range res.Rows {
		if r.Email != ps[i].Email || r.Name != ps[i].Name || r.Town != ps[i].Town || r.Company != ps[i].Company {
			t.Fatalf("row %d = %+v, want %+v", i, r.MemberInput, ps[i])
		}
		emails[r.Email] = true
	}
	if len(emails) != len(ps) {
		t.Errorf("%d distinct addresses among %d members", len(emails), len(ps))
	}
	if diff := cmp.Diff(people(50, 1), ps[:50]); diff != "" {
		t.Errorf("the same seed gave other people (-again +first):\n%s", diff)
	}
}

func TestDirectoryQueries(t *testing.T) {
	ps := people(1000, 1)
	qs := directoryQueries(ps, 500, 7)
	if len(qs) != 500 {
		t.Fatalf("%d queries, want 500", len(qs))
	}
	kinds := map[string]int{}
	for _, q := range qs {
		for k := range q {
			kinds[k]++
		}
		if v := q.Get("q"); v != "" && strings.ContainsAny(v, "åäöÅÄÖ") && fold(v) == v {
			t.Errorf("fold(%q) kept its diacritics", v)
		}
	}
	for _, k := range []string{"q", "town", "industry", "company", "offset"} {
		if kinds[k] == 0 {
			t.Errorf("no query uses %s: %v", k, kinds)
		}
	}
	if fold("Göteborg Åre Älvsjö") != "goteborg are alvsjo" {
		t.Errorf("fold = %q", fold("Göteborg Åre Älvsjö"))
	}
}

// TestGoMailLoop sends through the go-mail reference into a real SMTP
// server: every message arrives, at the size asked for.
func TestGoMailLoop(t *testing.T) {
	sink := smtptest.Start(t, smtptest.Faults{})
	_, p, _ := strings.Cut(sink.Addr(), ":")
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]*mail.Msg, 4)
	for i := range msgs {
		m, size, err := goMailMessage(16_000)
		if err != nil {
			t.Fatal(err)
		}
		if size < 15_900 || size > 16_100 {
			t.Fatalf("message of %d bytes, want about 16,000", size)
		}
		msgs[i] = m
	}
	if err := goMailLoop(context.Background(), port, 22, msgs); err != nil {
		t.Fatal(err)
	}
	got := sink.WaitFor(t, 22, 10*time.Second)
	if len(got) != 22 {
		t.Fatalf("sink got %d messages, want 22", len(got))
	}
	if n := len(got[0].Data); n < 15_900 || n > 16_100 {
		t.Errorf("a message arrived with %d bytes, want about 16,000", n)
	}
	if sessions, _, _, _ := sink.Stats(); sessions != 4 {
		t.Errorf("%d SMTP sessions, want 4 (one per reused connection)", sessions)
	}
}

func TestWithSearchPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u@127.0.0.1:5432/test?sslmode=disable", "postgres://u@127.0.0.1:5432/test?search_path=bench_1&sslmode=disable"},
		{"host=127.0.0.1 dbname=test", "host=127.0.0.1 dbname=test search_path=bench_1"},
	} {
		got, err := withSearchPath(tc.in, "bench_1")
		if err != nil || got != tc.want {
			t.Errorf("withSearchPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
