// Command natverk runs Nätverk: `natverk serve` (the default) runs every
// role in one process, on embedded components unless configured
// otherwise; other subcommands migrate the store, import the member
// register and manage dead letters and tokens. `natverk help` lists them.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "natverk:", err)
		os.Exit(1)
	}
}
