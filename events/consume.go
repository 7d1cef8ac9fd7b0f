package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Handler handles one event. It returns nil when the event is done (the
// message is acknowledged), an error to have it retried after a backoff,
// or an error wrapped with [Permanent] to send it to the dead-letter
// subject at once. Delivery is at least once, so a handler must be
// idempotent. ctx ends at the handler timeout or when the consumer stops.
type Handler func(ctx context.Context, e Envelope) error

// Observer is told about every handled message and every dead letter, so
// the service can count them (metrics). Its methods are called from the
// consumer's goroutines and must not block.
type Observer interface {
	// Handled is called after the handler ran (err is its error, nil on
	// success) or after a message could not be decoded.
	Handled(consumer, subject string, err error, dur time.Duration)
	// DeadLettered is called after a message was written to the
	// dead-letter subject.
	DeadLettered(consumer, subject, reason string)
}

// ConsumerConfig configures a durable consumer and its handlers.
type ConsumerConfig struct {
	// Name is the durable consumer's name, shared by every process that
	// runs this kind of worker; it is also the last token of its
	// dead-letter subject natverk.dlq.<Name>. Required.
	Name string
	// Subjects are the event types to receive. Default: every catalogue
	// type that lists Name among its consumers. Subjects may not overlap
	// the dead-letter subjects natverk.dlq.>.
	Subjects []string
	// Concurrency is how many handlers run at once in this process;
	// default 1.
	Concurrency int
	// MaxAckPending bounds the messages delivered but not yet acknowledged
	// across all processes, including those waiting for a retry; default
	// 1000. It must be at least Concurrency.
	MaxAckPending int
	// AckWait is how long the server waits for an acknowledgement before
	// it redelivers (to any process); default 30s. A handler running
	// longer sends progress heartbeats every AckWait/2.
	AckWait time.Duration
	// Backoff is the delay before retry n (Backoff[n-1], the last entry
	// for later retries); default [DefaultBackoff].
	Backoff []time.Duration
	// MaxDeliver is how many times a message is delivered before it is
	// dead-lettered; default len(Backoff)+1.
	MaxDeliver int
	// HandlerTimeout bounds one handler run; default 5 minutes.
	HandlerTimeout time.Duration
	// Logger receives a line per retry and dead letter; nil discards.
	Logger *slog.Logger
	// Observer, if set, is told about every handled message.
	Observer Observer
}

// Defaults of ConsumerConfig.
const (
	DefaultMaxAckPending  = 1000
	DefaultAckWait        = 30 * time.Second
	DefaultHandlerTimeout = 5 * time.Minute
)

// DefaultBackoff returns the default retry delays: 1s, 5s, 30s, 2m, 10m.
func DefaultBackoff() []time.Duration {
	return []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}
}

// withDefaults validates cfg and fills in its defaults.
func (cfg ConsumerConfig) withDefaults() (ConsumerConfig, error) {
	if err := checkConsumerName(cfg.Name); err != nil {
		return cfg, err
	}
	if len(cfg.Subjects) == 0 {
		for _, t := range Catalogue() {
			if slices.Contains(t.Consumers, cfg.Name) {
				cfg.Subjects = append(cfg.Subjects, t.Name)
			}
		}
		if len(cfg.Subjects) == 0 {
			return cfg, fmt.Errorf("events: consumer %s: no Subjects given and no catalogue type lists it", cfg.Name)
		}
	} else {
		cfg.Subjects = slices.Clone(cfg.Subjects)
	}
	for _, s := range cfg.Subjects {
		if err := checkFilterSubject(s); err != nil {
			return cfg, fmt.Errorf("events: consumer %s: %w", cfg.Name, err)
		}
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.MaxAckPending == 0 {
		cfg.MaxAckPending = max(DefaultMaxAckPending, cfg.Concurrency)
	}
	if cfg.AckWait == 0 {
		cfg.AckWait = DefaultAckWait
	}
	if len(cfg.Backoff) == 0 {
		cfg.Backoff = DefaultBackoff()
	} else {
		cfg.Backoff = slices.Clone(cfg.Backoff)
	}
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = len(cfg.Backoff) + 1
	}
	if cfg.HandlerTimeout == 0 {
		cfg.HandlerTimeout = DefaultHandlerTimeout
	}
	switch {
	case cfg.Concurrency < 0:
		return cfg, fmt.Errorf("events: consumer %s: negative Concurrency", cfg.Name)
	case cfg.MaxAckPending < cfg.Concurrency:
		return cfg, fmt.Errorf("events: consumer %s: MaxAckPending %d is below Concurrency %d", cfg.Name, cfg.MaxAckPending, cfg.Concurrency)
	case cfg.AckWait < 0 || cfg.HandlerTimeout < 0:
		return cfg, fmt.Errorf("events: consumer %s: negative AckWait or HandlerTimeout", cfg.Name)
	case cfg.MaxDeliver < 1:
		return cfg, fmt.Errorf("events: consumer %s: MaxDeliver must be at least 1", cfg.Name)
	}
	for _, d := range cfg.Backoff {
		if d <= 0 {
			return cfg, fmt.Errorf("events: consumer %s: Backoff delays must be positive", cfg.Name)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	return cfg, nil
}

// checkConsumerName accepts a name that is one subject token.
func checkConsumerName(name string) error {
	if name == "" {
		return errors.New("events: consumer needs a Name")
	}
	if strings.ContainsAny(name, ".*> \t\r\n/\\") {
		return fmt.Errorf("events: invalid consumer name %q (it must be one subject token)", name)
	}
	return nil
}

// checkFilterSubject accepts a subject filter under natverk. that matches
// no dead-letter subject.
func checkFilterSubject(s string) error {
	toks := strings.Split(s, ".")
	for i, tok := range toks {
		if tok == "" || strings.ContainsAny(tok, " \t\r\n") || (tok == ">" && i != len(toks)-1) {
			return fmt.Errorf("invalid subject filter %q", s)
		}
	}
	if toks[0] != "natverk" {
		return fmt.Errorf("subject filter %q is outside %s>", s, SubjectPrefix)
	}
	// natverk.dlq.<consumer> has three tokens; a filter overlaps it when
	// its second token can be "dlq" and it can have a third token.
	if len(toks) >= 2 && (toks[1] == ">" || ((toks[1] == "dlq" || toks[1] == "*") && len(toks) >= 3)) {
		return fmt.Errorf("subject filter %q overlaps the dead-letter subjects %s>", s, DeadLetterPrefix)
	}
	return nil
}

// backoff returns the delay before the redelivery that follows delivery n
// (n >= 1).
func (cfg *ConsumerConfig) backoff(n uint64) time.Duration {
	i := int(min(n, uint64(len(cfg.Backoff)))) - 1
	return cfg.Backoff[max(i, 0)]
}

type nopObserver struct{}

func (nopObserver) Handled(string, string, error, time.Duration) {}
func (nopObserver) DeadLettered(string, string, string)          {}

// Consumer runs a handler over a durable JetStream pull consumer. Create
// it with [Consume]; stop it with [Consumer.Stop].
type Consumer struct {
	cfg    ConsumerConfig
	stream string
	js     jetstream.JetStream
	str    jetstream.Stream
	cons   jetstream.Consumer
	h      Handler
	log    *slog.Logger

	work      chan *delivery
	runCtx    context.Context    // parent of handler contexts
	cancelRun context.CancelFunc // the hard stop
	stopping  chan struct{}      // closed when Stop begins
	stopOnce  sync.Once
	done      chan struct{} // closed when every goroutine has returned

	mu       sync.Mutex
	iter     jetstream.MessagesContext
	inflight map[*delivery]struct{}
	advisory *nats.Subscription
	err      error
}

// delivery is one message in this process; settle acks, naks or terms it
// exactly once (a stopping consumer and the worker may race for it).
type delivery struct {
	msg  jetstream.Msg
	meta *jetstream.MsgMetadata
	once sync.Once
}

// Consume creates or updates the durable pull consumer cfg.Name on stream
// (explicit ack, filtered to cfg.Subjects; any number of processes may
// share it) and runs h on its messages with cfg.Concurrency goroutines
// until Stop is called or ctx ends (which stops at once, like Stop with an
// expired deadline).
//
// A handler error (a panic counts as one) is retried after cfg.Backoff
// (NakWithDelay); a permanent error, a message that cannot be decoded, or a
// failure on the last allowed delivery sends the message to
// natverk.dlq.<name> (see [DeadLetter]) and terminates it. A message
// waiting for its retry does not hold up the ones behind it.
func Consume(ctx context.Context, js jetstream.JetStream, stream string, cfg ConsumerConfig, h Handler) (*Consumer, error) {
	if h == nil {
		return nil, errors.New("events: Consume needs a handler")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if stream == "" {
		stream = DefaultStream
	}
	str, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("events: consumer %s: stream %s: %w", cfg.Name, stream, err)
	}
	c := &Consumer{
		cfg:      cfg,
		stream:   stream,
		js:       js,
		str:      str,
		h:        h,
		log:      cfg.Logger.With("consumer", cfg.Name, "stream", stream),
		work:     make(chan *delivery),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
		inflight: make(map[*delivery]struct{}),
	}
	if err := c.ensureConsumer(ctx); err != nil {
		return nil, err
	}
	if err := c.watchMaxDeliveries(); err != nil {
		return nil, err
	}
	c.runCtx, c.cancelRun = context.WithCancel(context.WithoutCancel(ctx))

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.fetch()
	}()
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range c.work {
				c.handle(d)
			}
		}()
	}
	go func() {
		wg.Wait()
		c.mu.Lock()
		if c.advisory != nil {
			c.advisory.Unsubscribe()
		}
		c.mu.Unlock()
		c.cancelRun()
		close(c.done)
	}()
	go func() {
		select {
		case <-ctx.Done():
			expired, cancel := context.WithCancel(context.Background())
			cancel()
			c.Stop(expired)
		case <-c.done:
		}
	}()
	return c, nil
}

// ensureConsumer creates or updates the durable consumer.
func (c *Consumer) ensureConsumer(ctx context.Context) error {
	cfg := jetstream.ConsumerConfig{
		Durable:        c.cfg.Name,
		Description:    "Nätverk " + c.cfg.Name + " worker",
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.cfg.AckWait,
		MaxDeliver:     c.cfg.MaxDeliver,
		MaxAckPending:  c.cfg.MaxAckPending,
		FilterSubjects: c.cfg.Subjects,
		ReplayPolicy:   jetstream.ReplayInstantPolicy,
	}
	cons, err := c.str.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("events: consumer %s on %s: %w", c.cfg.Name, c.stream, err)
	}
	c.mu.Lock()
	c.cons = cons
	c.mu.Unlock()
	return nil
}

// pullExpiry is how long one pull request waits on the server; the
// client's idle heartbeat is half of it.
const pullExpiry = 5 * time.Second

// fetch pulls messages and hands them to the workers until the consumer
// stops. It recreates the message iterator (and the consumer, if it was
// deleted) after an error.
func (c *Consumer) fetch() {
	defer close(c.work)
	for {
		c.mu.Lock()
		cons := c.cons
		c.mu.Unlock()
		// Short pull requests with heartbeats: a lost request (a deleted
		// consumer, a moved leader) is noticed within seconds.
		it, err := cons.Messages(jetstream.PullMaxMessages(c.cfg.Concurrency), jetstream.PullExpiry(pullExpiry))
		if err == nil && !c.setIter(it) {
			it.Stop()
			return
		}
		if err == nil {
			err = c.drainInto(it)
		}
		if c.isStopping() {
			return
		}
		if errors.Is(err, jetstream.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionClosed) {
			c.fail(fmt.Errorf("events: consumer %s: %w", c.cfg.Name, err))
			return
		}
		c.log.Warn("events: consumer fetch failed; retrying", "error", err)
		select {
		case <-time.After(time.Second):
		case <-c.stopping:
			return
		}
		ctx, cancel := context.WithTimeout(c.runCtx, 10*time.Second)
		if err := c.ensureConsumer(ctx); err != nil {
			c.log.Warn("events: recreate consumer failed", "error", err)
		}
		cancel()
	}
}

// drainInto hands it's messages to the workers until it closes.
func (c *Consumer) drainInto(it jetstream.MessagesContext) error {
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) && c.isStopping() {
				return nil
			}
			return err
		}
		d := &delivery{msg: msg}
		select {
		case c.work <- d:
		case <-c.runCtx.Done():
			c.interrupt(d)
		}
	}
}

// setIter records the current iterator; it reports false if the consumer
// is already stopping.
func (c *Consumer) setIter(it jetstream.MessagesContext) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isStopping() {
		return false
	}
	c.iter = it
	return true
}

func (c *Consumer) isStopping() bool {
	select {
	case <-c.stopping:
		return true
	default:
		return false
	}
}

func (c *Consumer) fail(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	c.log.Error("events: consumer stopped", "error", err)
	c.stopOnce.Do(func() { close(c.stopping) })
}

// Name returns the consumer's name.
func (c *Consumer) Name() string { return c.cfg.Name }

// Done is closed when the consumer has stopped and every handler has
// returned.
func (c *Consumer) Done() <-chan struct{} { return c.done }

// Err returns why the consumer stopped by itself (its connection closed),
// or nil.
func (c *Consumer) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Stop stops fetching and waits for the handlers in flight (and the few
// messages already fetched) until ctx ends. Then it cancels the handlers
// still running and naks their messages at once, so another process gets
// them (on a message's last allowed delivery it dead-letters it instead,
// since the server would not deliver it again), and returns an error
// saying how many did not finish. Stop may be called more than once.
func (c *Consumer) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() { close(c.stopping) })
	c.mu.Lock()
	if c.iter != nil {
		c.iter.Drain()
	}
	c.mu.Unlock()
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
	}
	c.cancelRun()
	c.mu.Lock()
	pending := make([]*delivery, 0, len(c.inflight))
	for d := range c.inflight {
		pending = append(pending, d)
	}
	c.mu.Unlock()
	for _, d := range pending {
		c.interrupt(d)
	}
	if len(pending) == 0 {
		return nil
	}
	return fmt.Errorf("events: consumer %s: %d handlers did not finish before the stop deadline: %w", c.cfg.Name, len(pending), ctx.Err())
}
