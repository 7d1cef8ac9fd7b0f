package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/config"
	"github.com/natverk/natverk/internal/feeds"
	"github.com/natverk/natverk/internal/httpapi"
	"github.com/natverk/natverk/internal/inbound"
	"github.com/natverk/natverk/internal/metrics"
	"github.com/natverk/natverk/internal/relay"
	"github.com/natverk/natverk/internal/scheduler"
	"github.com/natverk/natverk/internal/webhook"
	"github.com/natverk/natverk/internal/worker"
)

// shutdownGrace is how long in-flight work may take after SIGINT/SIGTERM;
// what is not finished by then is left to be redelivered.
const shutdownGrace = 20 * time.Second

// serve runs the configured roles until ctx is cancelled.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	var ln net.Listener
	if cfg.Has(config.RoleAPI) {
		var err error
		ln, err = net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (set NATVERK_HTTP_ADDR to use another address): %w", cfg.HTTPAddr, err)
		}
		defer ln.Close()
		if cfg.BaseURL == "http://"+cfg.HTTPAddr {
			// A port chosen by the system (":0") is known only now.
			cfg.BaseURL = "http://" + ln.Addr().String()
		}
	}
	store, storeDesc, err := openStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer store.Close()
	admin, err := adminToken(cfg)
	if err != nil {
		return err
	}
	sig, csrfKey, err := signer(cfg)
	if err != nil {
		return err
	}
	lb := linkBuilder(cfg, sig)
	br, err := connectBroker(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer br.close()
	mx := metrics.New()
	mx.WatchConsumers(br.js, events.DefaultStream, events.ConsumerMailer, events.ConsumerCalendar, events.ConsumerWebhooks)
	renderer := &feeds.Renderer{Store: store, Links: lb, Past: cfg.FeedPast, Metrics: mx}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s-%d", host, os.Getpid())

	var wg sync.WaitGroup
	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRun()
	var stops []func(context.Context) error
	var mailDesc string

	var rl *relay.Relay
	if cfg.Has(config.RoleRelay) {
		r := &relay.Relay{Store: store, Publisher: events.NewPublisher(br.js), Log: log.With("role", "relay"), Holder: holder, Retention: cfg.OutboxRetention, Metrics: mx}
		rl = r
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(runCtx) }()
	}
	if cfg.Has(config.RoleMailer) {
		sender, desc, err := mailTransport(cfg)
		if err != nil {
			return fmt.Errorf("mail: %w", err)
		}
		defer sender.Close()
		mailDesc = desc
		comp, err := composer(cfg)
		if err != nil {
			return err
		}
		mw := &worker.Mailer{Store: store, Composer: comp, Sender: sender, Links: lb, Log: log.With("role", "mailer"), Metrics: mx, ClaimTTL: cfg.MailClaimTTL}
		var c *events.Consumer
		err = untilJetStream(ctx, log, "start the mailer consumer", func() (err error) {
			c, err = events.Consume(ctx, br.js, events.DefaultStream, events.ConsumerConfig{
				Name: events.ConsumerMailer, Subjects: worker.MailerSubjects, Concurrency: cfg.SMTPPool * 2,
				MaxAckPending: 2000, Logger: log.With("role", "mailer"), Observer: mx, Backoff: cfg.RetryBackoff,
			}, mw.Handle)
			return err
		})
		if err != nil {
			return err
		}
		stops = append(stops, c.Stop)
	}
	var inboundDesc string
	if cfg.Has(config.RoleInbound) && (cfg.InboundAddr != "" || cfg.IMAPURL != "") {
		proc := &inbound.Processor{Store: store, Links: lb, Log: log.With("role", "inbound"), Metrics: mx, MaxBytes: cfg.InboundMaxBytes}
		if cfg.InboundAddr != "" {
			in := &inbound.Server{Addr: cfg.InboundAddr, Domain: cfg.MailDomain, Processor: proc, MaxMessageBytes: cfg.InboundMaxBytes, Log: log.With("role", "inbound")}
			iln, err := net.Listen("tcp", cfg.InboundAddr)
			if err != nil {
				return fmt.Errorf("listen on NATVERK_INBOUND_ADDR %s (set it to another address, or off): %w", cfg.InboundAddr, err)
			}
			inboundDesc = "smtp://" + iln.Addr().String() + " (calendar replies to *@" + cfg.MailDomain + ")"
			wg.Add(1)
			go func() { defer wg.Done(); in.Serve(runCtx, iln) }()
			stops = append(stops, func(context.Context) error { return in.Close() })
		}
		if cfg.IMAPURL != "" {
			p := &inbound.Poller{URL: cfg.IMAPURL, Processor: proc, Log: log.With("role", "inbound")}
			wg.Add(1)
			go func() { defer wg.Done(); p.Run(runCtx) }()
			inboundDesc += " IMAP " + redactURL(cfg.IMAPURL)
		}
	}
	if cfg.Has(config.RoleScheduler) {
		sch := &scheduler.Scheduler{Store: store, Log: log.With("role", "scheduler"), ReminderBefore: cfg.ReminderBefore, DigestEvery: cfg.DigestEvery, Holder: holder}
		wg.Add(1)
		go func() { defer wg.Done(); sch.Run(runCtx) }()
	}
	if cfg.Has(config.RoleCalendar) {
		cw := &worker.Calendar{Store: store, Renderer: renderer, Log: log.With("role", "calendar")}
		var c *events.Consumer
		err = untilJetStream(ctx, log, "start the calendar consumer", func() (err error) {
			c, err = events.Consume(ctx, br.js, events.DefaultStream, events.ConsumerConfig{
				// Handlers mostly wait for a coalesced render: many may wait at once.
				Name: events.ConsumerCalendar, Subjects: worker.CalendarSubjects, Concurrency: 256,
				MaxAckPending: 5000, Logger: log.With("role", "calendar"), Observer: mx, Backoff: cfg.RetryBackoff,
			}, cw.Handle)
			return err
		})
		if err != nil {
			return err
		}
		stops = append(stops, c.Stop)
	}
	// One outbound policy for the webhook worker and the API's checks.
	ws, err := webhook.NewSender(webhook.Options{AllowHosts: cfg.AllowWebhookHosts})
	if err != nil {
		return fmt.Errorf("NATVERK_WEBHOOK_ALLOW_HOSTS: %w", err)
	}
	if cfg.Has(config.RoleWebhooks) {
		ww := &webhook.Worker{Store: store, Sender: ws, Log: log.With("role", "webhooks")}
		var c *events.Consumer
		err = untilJetStream(ctx, log, "start the webhooks consumer", func() (err error) {
			c, err = events.Consume(ctx, br.js, events.DefaultStream, events.ConsumerConfig{
				Name: events.ConsumerWebhooks, Concurrency: 16,
				MaxAckPending: 2000, Logger: log.With("role", "webhooks"), Observer: mx, Backoff: cfg.RetryBackoff,
			}, ww.Handle)
			return err
		})
		if err != nil {
			return err
		}
		stops = append(stops, c.Stop)
	}

	var srv *http.Server
	if ln != nil {
		api := &httpapi.Server{
			Store: store, Links: lb, Signer: sig, Feeds: renderer, AdminToken: admin, Checks: checks, Webhooks: ws,
			BoardEmail: cfg.BoardEmail, MaxBody: cfg.MaxBodyBytes, MaxImport: cfg.ImportMaxBytes,
			CSRFKey: csrfKey, RateLimit: cfg.RateLimit, Log: log.With("role", "api"),
			DLQ: dlq{js: br.js}, Metrics: mx.Handler(), Observe: mx.Request,
			Ready: func(ctx context.Context) map[string]error {
				m := map[string]error{}
				if !br.nc.IsConnected() {
					m["nats"] = fmt.Errorf("not connected (%s)", br.nc.Status())
				} else {
					m["nats"] = nil
				}
				if cfg.SMTPURL != "" {
					m["smtp"] = smtpReachable(ctx, cfg.SMTPURL)
				}
				if rl != nil {
					// Connected is not enough: the relay may be unable to
					// publish (a stream that refuses writes) or to take the
					// lease (a store that refuses writes).
					if _, err := rl.Status(); err != nil {
						m["outbox"] = err
					}
				}
				return m
			},
		}
		if mailDesc != "" && cfg.SMTPURL == "" {
			api.MailDir = cfg.Path("mail")
		}
		srv = &http.Server{
			Handler: api.Handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 60 * time.Second,
			WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("http server", "err", err)
			}
		}()
	}

	if srv == nil && cfg.MetricsAddr != "" {
		// A worker process: metrics and health on their own listener.
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", mx.Handler())
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
		mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
			if err := store.Ping(r.Context()); err != nil || !br.nc.IsConnected() {
				w.Header().Set("Retry-After", "5")
				http.Error(w, fmt.Sprintf("degraded: store=%v nats=%s", err, br.nc.Status()), http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte("ready\n"))
		})
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on NATVERK_METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		wg.Add(1)
		go func() { defer wg.Done(); srv.Serve(mln) }()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	printBanner(stdout, cfg, ln, storeDesc, br.desc, mailDesc, inboundDesc, admin)
	log.Info("natverk started", "roles", cfg.SortedRoles())

	<-ctx.Done()
	log.Info("shutting down: finishing in-flight work", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if srv != nil {
		srv.Shutdown(sctx)
	}
	for _, stop := range stops {
		if err := stop(sctx); err != nil {
			log.Warn("stop consumer", "err", err)
		}
	}
	cancelRun()
	wg.Wait()
	log.Info("stopped")
	return nil
}

// smtpReachable checks that the SMTP relay accepts TCP connections.
func smtpReachable(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[bool]string{true: "465", false: "587"}[u.Scheme == "smtps"])
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("not reachable: %w", err)
	}
	return c.Close()
}

// printBanner tells a newcomer where everything is.
func printBanner(w io.Writer, cfg config.Config, ln net.Listener, store, nats, mail, inbound, admin string) {
	fmt.Fprintln(w, "Nätverk is running.")
	if ln != nil {
		fmt.Fprintf(w, "  web and API   %s   (listening on %s)\n", cfg.BaseURL, ln.Addr())
		if cfg.AdminToken == "" {
			fmt.Fprintf(w, "  admin token   %s   (kept in %s)\n", admin, cfg.Path("admin-token"))
		} else {
			fmt.Fprintln(w, "  admin token   from NATVERK_ADMIN_TOKEN")
		}
	}
	fmt.Fprintf(w, "  store         %s\n", store)
	fmt.Fprintf(w, "  NATS          %s\n", nats)
	if mail != "" {
		fmt.Fprintf(w, "  mail          %s\n", mail)
		if cfg.SMTPURL == "" && ln != nil {
			fmt.Fprintf(w, "                listed at %s/mail\n", cfg.BaseURL)
		}
	}
	if inbound != "" {
		fmt.Fprintf(w, "  inbound       %s\n", inbound)
	}
	fmt.Fprintf(w, "  roles         %v\n", cfg.SortedRoles())
	fmt.Fprintln(w, "Stop with Ctrl-C.")
}

// dlq adapts the events package's dead-letter functions to the API.
type dlq struct{ js jetstreamJS }

func (d dlq) List(ctx context.Context, consumer string) ([]events.DeadLetter, error) {
	return events.ListDeadLetters(ctx, d.js, events.DefaultStream, consumer)
}

func (d dlq) Retry(ctx context.Context, seq uint64) error {
	return events.RetryDeadLetter(ctx, d.js, events.DefaultStream, seq)
}

func (d dlq) RetryAll(ctx context.Context, consumer string) (int, error) {
	return events.RetryAll(ctx, d.js, events.DefaultStream, consumer)
}
