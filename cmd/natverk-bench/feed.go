package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/natverk/natverk/internal/feeds"
)

// benchFeed builds a network feed of ten years of weekly meetings with
// moved meetings, then drives it with wrk (200 and 304) beside a bare
// net/http handler serving the same bytes from memory and nginx serving
// them as a static file.
func (b *bench) benchFeed(ctx context.Context, st store, svc *service) {
	body, etag, feedURL, err := b.buildFeed(ctx, svc)
	if err != nil {
		b.add(failed("feed_full", st.name, err))
		return
	}
	b.log.Printf("feed/%s: %d B, %d moved meetings; wrk -t2 -c50 %s per run", st.name, len(body), b.sizes.overrides, b.sizes.wrk)

	bare, err := startBareFeed(body)
	if err != nil {
		b.add(failed("feed_full", st.name, err))
		return
	}
	defer bare.Close()
	ng, err := startNginx(ctx, b.tools.nginx, filepath.Join(b.work, st.name, "nginx"), body)
	if err != nil {
		b.add(failed("feed_full", st.name, err))
		return
	}
	defer ng.stop()

	targets := []struct {
		name, url, etag string
	}{
		{"natverk", feedURL, etag},
		{"net/http", bare.url, bare.etag},
		{"nginx", ng.url, ng.etag},
	}
	full := map[string]wrkResult{}
	notMod := map[string]wrkResult{}
	for _, t := range targets {
		if err := checkTarget(ctx, t.url, t.etag, len(body)); err != nil {
			b.add(failed("feed_full", st.name, fmt.Errorf("%s: %w", t.name, err)))
			return
		}
		for _, cond := range []bool{false, true} {
			var hdr []string
			if cond {
				hdr = []string{"If-None-Match: " + t.etag}
			}
			r, err := runWrk(ctx, b.tools.wrk, t.url, b.sizes.wrk, hdr...)
			if err == nil && r.non2xx > 0 {
				err = fmt.Errorf("%s: %d answers were not 2xx or 3xx", t.name, r.non2xx)
			}
			if err != nil {
				b.add(failed("feed_full", st.name, err))
				return
			}
			if r.sockErr > 0 {
				b.log.Printf("feed/%s: %s: %d socket errors", st.name, t.name, r.sockErr)
			}
			if cond {
				notMod[t.name] = r
			} else {
				full[t.name] = r
			}
		}
	}
	note := fmt.Sprintf("%d B feed, wrk -t2 -c50 %s", len(body), b.sizes.wrk)
	rs := []Result{
		result("feed_full", st.name, full["natverk"].rps, "req/s", "net/http from memory", full["net/http"].rps, atLeastRatio(0.9)),
		result("feed_full_p99", st.name, ms(full["natverk"].p99), "ms p99", "net/http from memory", ms(full["net/http"].p99), atMostRatio(1.5)),
		result("feed_full", st.name, full["natverk"].rps, "req/s", "nginx static file", full["nginx"].rps, reportOnly()),
		result("feed_not_modified", st.name, notMod["natverk"].rps, "req/s", "net/http from memory", notMod["net/http"].rps, atLeastRatio(0.9)),
		result("feed_not_modified", st.name, notMod["natverk"].rps, "req/s", "nginx static file", notMod["nginx"].rps, reportOnly()),
	}
	for i := range rs {
		rs[i].Note = note
	}
	b.add(rs...)
}

// buildFeed creates the feed's network and its moved meetings, waits
// until the calendar worker has rendered all of them, and returns the
// feed's body, ETag and URL.
func (b *bench) buildFeed(ctx context.Context, svc *service) ([]byte, string, string, error) {
	from := time.Now()
	n, err := createNetwork(ctx, svc, "Ledare i Västsverige", from, 522) // ten years of Tuesdays
	if err != nil {
		return nil, "", "", err
	}
	first := nextTuesday(from)
	for i := range b.sizes.overrides {
		day := first.AddDate(0, 0, 7*(10*i+3))
		req, _ := json.Marshal(map[string]any{
			"occurrence": day.Format("2006-01-02") + "T18:00",
			"start":      day.AddDate(0, 0, 1).Format("2006-01-02") + "T17:30",
			"location":   fmt.Sprintf("Konferensrum %d, Lindholmen Science Park, Göteborg", i+1),
			"reason":     "Lokalen är upptagen på tisdagen.",
		})
		if err := svc.api(ctx, "POST", fmt.Sprintf("/api/v1/meetings/%d/move-occurrence", n.seriesID()), "application/json", req, 200, nil); err != nil {
			return nil, "", "", err
		}
	}
	client := newClient(30*time.Second, 1)
	deadline := time.Now().Add(time.Minute)
	// The feed must show every moved meeting and then stay the same for
	// two seconds: a render that read the series before the last move and
	// its exceptions after it shows them all, and the render the last
	// move's event asks for follows it with the series' final SEQUENCE.
	var settled string
	var since time.Time
	for {
		body, h, status, err := get(ctx, client, n.Feed.HTTPS, "")
		if err != nil {
			return nil, "", "", err
		}
		if status == 200 && strings.Count(body, "\r\nRECURRENCE-ID") >= b.sizes.overrides {
			if h.Get("ETag") != feeds.ETag([]byte(body)) {
				return nil, "", "", fmt.Errorf("feed ETag %s is not the body's", h.Get("ETag"))
			}
			if h.Get("ETag") != settled {
				settled, since = h.Get("ETag"), time.Now()
			} else if time.Since(since) >= 2*time.Second {
				return []byte(body), settled, n.Feed.HTTPS, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, "", "", fmt.Errorf("the feed did not show %d moved meetings within a minute (status %d)", b.sizes.overrides, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkTarget checks that u serves the feed (200, full length) and
// answers 304 to its ETag, so wrk measures what it should.
func checkTarget(ctx context.Context, u, etag string, size int) error {
	c := newClient(10*time.Second, 1)
	body, _, status, err := get(ctx, c, u, "")
	if err != nil {
		return err
	}
	if status != 200 || len(body) != size {
		return fmt.Errorf("GET %s: status %d, %d bytes, want 200 and %d", u, status, len(body), size)
	}
	_, _, status, err = get(ctx, c, u, etag)
	if err != nil {
		return err
	}
	if status != http.StatusNotModified {
		return fmt.Errorf("GET %s with If-None-Match %s: status %d, want 304", u, etag, status)
	}
	return nil
}

// bareFeed is the reference handler: the feed's bytes from memory with a
// strong ETag and the same caching headers, nothing else.
type bareFeed struct {
	srv       *http.Server
	url, etag string
}

func startBareFeed(body []byte) (*bareFeed, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	etag := feeds.ETag(body)
	modified := time.Now().UTC().Format(http.TimeFormat)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Type", "text/calendar; charset=utf-8")
		hd.Set("Cache-Control", "public, max-age=900")
		hd.Set("ETag", etag)
		hd.Set("Last-Modified", modified)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(body)
	})
	f := &bareFeed{srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, url: "http://" + ln.Addr().String() + "/feed.ics", etag: etag}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *bareFeed) Close() { f.srv.Close() }

// nginx is an nginx serving the feed as a static file, from its own
// configuration in a temporary directory (the system's nginx service is
// not used).
type nginx struct {
	cmd       *exec.Cmd
	done      chan error
	url, etag string
}

func startNginx(ctx context.Context, bin, dir string, body []byte) (*nginx, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"html", "logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "html", "feed.ics"), body, 0o644); err != nil {
		return nil, err
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`%s
worker_processes auto;
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path %[2]s/tmp;
  proxy_temp_path %[2]s/tmp;
  fastcgi_temp_path %[2]s/tmp;
  uwsgi_temp_path %[2]s/tmp;
  scgi_temp_path %[2]s/tmp;
  types { text/calendar ics; }
  server {
    listen 127.0.0.1:%[3]d;
    root %[2]s/html;
    etag on;
    add_header Cache-Control "public, max-age=900";
  }
}
`, user, dir, port)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	n := &nginx{cmd: exec.Command(bin, "-p", dir, "-c", confPath), done: make(chan error, 1), url: fmt.Sprintf("http://127.0.0.1:%d/feed.ics", port)}
	// Its own process group, so that stop reaches the workers too; the
	// master quits if the bench dies, and the workers follow it.
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	out := &strings.Builder{}
	n.cmd.Stderr = out
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	go func() { n.done <- n.cmd.Wait() }()
	c := newClient(2*time.Second, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, h, status, err := get(ctx, c, n.url, "")
		if err == nil && status == 200 {
			n.etag = h.Get("ETag")
			if n.etag == "" {
				n.stop()
				return nil, errors.New("nginx sent no ETag")
			}
			return n, nil
		}
		select {
		case err := <-n.done:
			return nil, fmt.Errorf("nginx exited: %v: %s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			n.stop()
			return nil, fmt.Errorf("nginx did not answer within 10 s: %v %s", err, out.String())
		}
	}
}

// stop ends nginx (SIGQUIT: graceful) and its workers.
func (n *nginx) stop() {
	syscall.Kill(-n.cmd.Process.Pid, syscall.SIGQUIT)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-n.done
	}
}
