package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natverk/natverk/events"
	"github.com/natverk/natverk/internal/config"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/postgres"
	"github.com/natverk/natverk/internal/sqlite"
)

type jetstreamJS = jetstream.JetStream

// migrateCmd applies (up) or lists (status) the store's migrations.
func migrateCmd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return fmt.Errorf("usage: natverk migrate up|status")
	}
	store, desc, err := openStore(ctx, cfg) // opening applies pending migrations
	if err != nil {
		return err
	}
	defer store.Close()
	type statuser interface {
		MigrationStatus(ctx context.Context) ([]natverk.Migration, error)
	}
	st, err := store.(statuser).MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", desc)
	for _, m := range st {
		state := "pending"
		if m.Applied {
			state = "applied " + m.AppliedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "  %-30s %s\n", m.Version, state)
	}
	return nil
}

var (
	_ = sqlite.Open
	_ = postgres.Open
)

// dlqCmd lists and re-drives dead letters over the configured NATS.
func dlqCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: natverk dlq list [--consumer=NAME] | natverk dlq retry SEQ|--all [--consumer=NAME]")
	}
	fs := flag.NewFlagSet("dlq", flag.ContinueOnError)
	consumer := fs.String("consumer", "", "only this consumer's dead letters (mailer, calendar, …)")
	all := fs.Bool("all", false, "retry every dead letter")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg.NATSPort = -1 // never open a listener for a one-off command
	br, err := connectBroker(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer br.close()
	d := dlq{js: br.js}
	switch args[0] {
	case "list":
		list, err := d.List(ctx, *consumer)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(stdout, "No dead letters.")
		}
		for _, l := range list {
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\tdeliveries=%d\t%s\n", l.Seq, l.At.Format(time.RFC3339), l.Consumer, l.Subject, l.Deliveries, l.Reason)
		}
		return nil
	case "retry":
		if *all {
			n, err := d.RetryAll(ctx, *consumer)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Re-drove %d dead letters.\n", n)
			return nil
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: natverk dlq retry SEQ|--all")
		}
		seq, err := strconv.ParseUint(fs.Arg(0), 10, 64)
		if err != nil {
			return fmt.Errorf("dlq retry: %q is not a sequence number (see natverk dlq list)", fs.Arg(0))
		}
		if err := d.Retry(ctx, seq); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Re-drove dead letter %d.\n", seq)
		return nil
	}
	return fmt.Errorf("unknown dlq command %q", args[0])
}

// tokenCmd issues an organizer API token.
func tokenCmd(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	if len(args) < 2 || args[0] != "create" {
		return fmt.Errorf("usage: natverk token create MEMBER_ID [--label=TEXT] [--days=N]")
	}
	id, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil {
		return fmt.Errorf("token create: %q is not a member id", args[1])
	}
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	label := fs.String("label", "", "what the token is for")
	days := fs.Int("days", 0, "expires after N days (0 = never)")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	store, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.FindMemberByID(ctx, id); err != nil {
		return fmt.Errorf("token create: member %d: %w", id, err)
	}
	var exp *time.Time
	if *days > 0 {
		e := time.Now().Add(time.Duration(*days) * 24 * time.Hour)
		exp = &e
	}
	tok, t := natverk.NewAPIToken(natverk.RoleOrganizer, id, *label, exp)
	if err := store.CreateAPIToken(ctx, t); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Organizer token for member %d (shown once, stored hashed):\n%s\n", id, tok)
	return nil
}

var _ = events.DefaultStream
