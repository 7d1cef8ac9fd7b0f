// Package metrics counts what Nätverk does, for Prometheus (/metrics):
// events published, handled, failed and dead-lettered per subject; the
// outbox backlog; consumer pending counts; mails sent, deferred and
// bounced; inbound replies by outcome; feed renders (feed answers, 200 and 304, are counted by route); HTTP
// latency by route. One Metrics value per process, registered on its own
// registry (no global state); it implements the small observer
// interfaces the relay, the consumers, the workers, the feed renderer and
// the inbound endpoint take.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every metric of one process.
type Metrics struct {
	reg *prometheus.Registry

	published, publishFailed prometheus.Counter
	outboxPending            prometheus.Gauge
	outboxAge                prometheus.Gauge
	handled                  *prometheus.CounterVec
	handleSeconds            *prometheus.HistogramVec
	deadLettered             *prometheus.CounterVec
	mail                     *prometheus.CounterVec
	inbound                  *prometheus.CounterVec
	feedRenders              *prometheus.CounterVec
	httpRequests             *prometheus.CounterVec
	httpSeconds              *prometheus.HistogramVec

	// routes holds the children of httpRequests and httpSeconds per
	// route and status (routeKey → *routeMetrics), looked up once: a
	// request then costs a map read without locks and two atomic
	// updates, not two label hashes under the vectors' locks and a
	// formatted status code.
	routes sync.Map
}

// routeKey names one route's children: the pattern and the status.
type routeKey struct {
	route string
	code  int
}

// routeMetrics is one route and status's request counter and latency
// histogram.
type routeMetrics struct {
	requests prometheus.Counter
	seconds  prometheus.Observer
}

// New makes the metrics and registers them, with the Go runtime and
// process collectors, on a new registry.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.published = prometheus.NewCounter(prometheus.CounterOpts{Name: "natverk_events_published_total", Help: "Outbox events published to JetStream and acknowledged (an event published again after its mark failed counts again; the stream stores it once)."})
	m.publishFailed = prometheus.NewCounter(prometheus.CounterOpts{Name: "natverk_events_publish_failed_total", Help: "Outbox events whose publish failed (they are published again)."})
	m.outboxPending = prometheus.NewGauge(prometheus.GaugeOpts{Name: "natverk_outbox_pending", Help: "Events committed but not yet published."})
	m.outboxAge = prometheus.NewGauge(prometheus.GaugeOpts{Name: "natverk_outbox_lag_seconds", Help: "Age of the oldest unpublished event (0 when none)."})
	m.handled = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "natverk_events_handled_total", Help: "Events handled by a consumer, by result (ok, error)."}, []string{"consumer", "subject", "result"})
	m.handleSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "natverk_event_handle_seconds", Help: "Time to handle one event.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 8)}, []string{"consumer"})
	m.deadLettered = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "natverk_events_dead_lettered_total", Help: "Events a consumer gave up on (in natverk.dlq.<consumer>)."}, []string{"consumer", "subject"})
	m.mail = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "natverk_mail_total", Help: "Mails by kind and result: sent, deferred (4xx, retried), bounced (5xx), skipped."}, []string{"kind", "result"})
	m.inbound = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "natverk_inbound_total", Help: "Messages received by the inbound endpoint, by outcome (applied, ignored, refused, review, failed, other)."}, []string{"outcome"})
	m.feedRenders = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "natverk_feed_renders_total", Help: "Feed renders, by feed kind and whether the body changed."}, []string{"feed", "changed"})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "natverk_http_requests_total", Help: "HTTP requests by route pattern and status code."}, []string{"route", "code"})
	m.httpSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "natverk_http_request_seconds", Help: "HTTP request latency by route pattern.", Buckets: prometheus.ExponentialBuckets(0.0005, 3, 10)}, []string{"route"})
	for _, c := range []prometheus.Collector{m.published, m.publishFailed, m.outboxPending, m.outboxAge, m.handled, m.handleSeconds, m.deadLettered,
		m.mail, m.inbound, m.feedRenders, m.httpRequests, m.httpSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry returns the registry (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Published counts published events (relay.Metrics).
func (m *Metrics) Published(n int) { m.published.Add(float64(n)) }

// PublishFailed counts failed publishes (relay.Metrics).
func (m *Metrics) PublishFailed(n int) { m.publishFailed.Add(float64(n)) }

// Backlog records the outbox backlog (relay.Metrics).
func (m *Metrics) Backlog(pending int, oldest time.Time) {
	m.outboxPending.Set(float64(pending))
	if pending == 0 || oldest.IsZero() {
		m.outboxAge.Set(0)
		return
	}
	m.outboxAge.Set(time.Since(oldest).Seconds())
}

// Handled counts a handled event (events.Observer).
func (m *Metrics) Handled(consumer, subject string, err error, dur time.Duration) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.handled.WithLabelValues(consumer, subject, result).Inc()
	m.handleSeconds.WithLabelValues(consumer).Observe(dur.Seconds())
}

// DeadLettered counts a dead letter (events.Observer).
func (m *Metrics) DeadLettered(consumer, subject, _ string) {
	m.deadLettered.WithLabelValues(consumer, subject).Inc()
}

// MailSent counts a sent mail (worker.MailMetrics).
func (m *Metrics) MailSent(kind string) { m.mail.WithLabelValues(kind, "sent").Inc() }

// MailDeferred counts a deferred mail.
func (m *Metrics) MailDeferred(kind string) { m.mail.WithLabelValues(kind, "deferred").Inc() }

// MailBounced counts a bounced mail.
func (m *Metrics) MailBounced(kind string) { m.mail.WithLabelValues(kind, "bounced").Inc() }

// MailSkipped counts a mail not sent (member left, address bouncing, …).
func (m *Metrics) MailSkipped(kind, _ string) { m.mail.WithLabelValues(kind, "skipped").Inc() }

// Inbound counts an inbound message by outcome (inbound.Metrics).
func (m *Metrics) Inbound(outcome string) { m.inbound.WithLabelValues(outcome).Inc() }

// FeedRendered counts a feed render (feeds.Metrics).
func (m *Metrics) FeedRendered(feed string, changed bool) {
	m.feedRenders.WithLabelValues(feed, strconv.FormatBool(changed)).Inc()
}

// Request records an HTTP request by route pattern.
// The set of routes is the server's patterns, so the children cached
// per route and status stay as few as the series they export.
func (m *Metrics) Request(route string, code int, d time.Duration) {
	k := routeKey{route, code}
	v, ok := m.routes.Load(k)
	if !ok {
		v, _ = m.routes.LoadOrStore(k, &routeMetrics{
			requests: m.httpRequests.WithLabelValues(route, strconv.Itoa(code)),
			seconds:  m.httpSeconds.WithLabelValues(route),
		})
	}
	rm := v.(*routeMetrics)
	rm.requests.Inc()
	rm.seconds.Observe(d.Seconds())
}

// WatchConsumers exports each durable consumer's pending and
// unacknowledged counts, read from JetStream at scrape time.
func (m *Metrics) WatchConsumers(js jetstream.JetStream, stream string, names ...string) {
	m.reg.MustRegister(&consumerCollector{js: js, stream: stream, names: names,
		pending: prometheus.NewDesc("natverk_consumer_pending", "Messages in the stream not yet delivered to the consumer.", []string{"consumer"}, nil),
		acks:    prometheus.NewDesc("natverk_consumer_ack_pending", "Messages delivered and waiting for an acknowledgement or a retry.", []string{"consumer"}, nil),
		redel:   prometheus.NewDesc("natverk_consumer_redelivered", "Messages being redelivered.", []string{"consumer"}, nil),
	})
}

type consumerCollector struct {
	js                   jetstream.JetStream
	stream               string
	names                []string
	pending, acks, redel *prometheus.Desc
}

func (c *consumerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.acks
	ch <- c.redel
}

func (c *consumerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, name := range c.names {
		cons, err := c.js.Consumer(ctx, c.stream, name)
		if err != nil {
			continue
		}
		info, err := cons.Info(ctx)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(info.NumPending), name)
		ch <- prometheus.MustNewConstMetric(c.acks, prometheus.GaugeValue, float64(info.NumAckPending), name)
		ch <- prometheus.MustNewConstMetric(c.redel, prometheus.GaugeValue, float64(info.NumRedelivered), name)
	}
}
