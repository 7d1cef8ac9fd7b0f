package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/natverk/natverk/internal/config"
)

const usage = `Usage: natverk [command] [flags]

Commands:
  serve [--roles=api,relay,…]                          run the service (default: all roles)
  migrate up|status                                   apply or list store migrations
  members import FILE.csv|FILE.json [--dry-run]       import the member register
  dlq list [--consumer=NAME] | retry SEQ|--all         show and re-drive dead letters
  token create MEMBER_ID [--label=…] [--days=N]       issue an organizer API token
  config [--markdown]                                 list every setting and its default
  help                                                this text

Configuration comes from the environment (see "natverk config" and the README).
`

// run is the whole program, testable: arguments, environment and streams
// come in as parameters.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "config":
		if len(args) > 0 && args[0] == "--markdown" {
			return printConfigMarkdown(stdout)
		}
		return printConfig(stdout)
	}
	if cmd == "serve" {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(stderr)
		roles := fs.String("roles", "", "comma-separated roles to run (default all: "+strings.Join(config.AllRoles, ",")+")")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *roles != "" {
			env := getenv
			getenv = func(k string) string {
				if k == "NATVERK_ROLES" {
					return *roles
				}
				return env(k)
			}
		}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, stdout)
	case "migrate":
		return migrateCmd(ctx, cfg, args, stdout)
	case "members":
		return membersCmd(ctx, cfg, args, stdout, stderr)
	case "dlq":
		return dlqCmd(ctx, cfg, log, args, stdout)
	case "token":
		return tokenCmd(ctx, cfg, args, stdout)
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// printConfigMarkdown prints the README's configuration table.
func printConfigMarkdown(w io.Writer) error {
	fmt.Fprintln(w, "| variable | default | what it sets |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, s := range config.Settings {
		secret := ""
		if s.Secret {
			secret = " (secret: `" + s.Env + "_FILE` reads it from a file)"
		}
		fmt.Fprintf(w, "| `%s` | %s | %s%s |\n", s.Env, s.Default, s.Doc, secret)
	}
	return nil
}

func printConfig(w io.Writer) error {
	fmt.Fprintln(w, "Every setting is an environment variable; X_FILE may name a file holding X.")
	for _, s := range config.Settings {
		fmt.Fprintf(w, "  %-28s default %s\n      %s\n", s.Env, s.Default, s.Doc)
	}
	return nil
}
