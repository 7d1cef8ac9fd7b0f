package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/natverk/natverk/internal/config"
	"github.com/natverk/natverk/internal/natverk"
	"github.com/natverk/natverk/internal/register"
)

// importBatch is how many rows one transaction imports: each batch is
// all or nothing, and a progress bar moves between batches.
const importBatch = 5000

// membersCmd imports the member register from a CSV or JSON file.
func membersCmd(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) < 2 || args[0] != "import" {
		return fmt.Errorf("usage: natverk members import FILE.csv|FILE.json [--dry-run]")
	}
	fs := flag.NewFlagSet("members import", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "check the file, import nothing")
	path := args[1]
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("members import: %w", err)
	}
	defer f.Close()
	var res *register.Result
	if strings.EqualFold(filepath.Ext(path), ".json") {
		res, err = register.ParseJSON(f)
	} else {
		res, err = register.ParseCSV(f)
	}
	if err != nil {
		return fmt.Errorf("members import %s: %s", path, natverk.ErrorMessage(err))
	}
	var total natverk.ImportResult
	if !*dry {
		store, _, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer store.Close()
		bar := newProgress(stderr, len(res.Rows))
		for i := 0; i < len(res.Rows); i += importBatch {
			if ctx.Err() != nil {
				bar.done()
				return fmt.Errorf("members import: interrupted after %d of %d rows; the batches before were imported, none after", i, len(res.Rows))
			}
			part := res.Rows[i:min(i+importBatch, len(res.Rows))]
			r, err := store.ImportMembers(ctx, part)
			if err != nil {
				bar.done()
				return fmt.Errorf("members import: rows %d–%d: %w (earlier batches were imported)", part[0].Row, part[len(part)-1].Row, err)
			}
			total.Created += r.Created
			total.Updated += r.Updated
			total.Unchanged += r.Unchanged
			total.Rejected = append(total.Rejected, r.Rejected...)
			bar.set(i + len(part))
		}
		bar.done()
	}
	total.Rejected = append(res.Rejected, total.Rejected...)
	if *dry {
		fmt.Fprintf(stdout, "Dry run: %d rows would be imported.\n", len(res.Rows))
	} else {
		fmt.Fprintf(stdout, "Imported %s: %d created, %d updated, %d unchanged, %d rejected.\n", path, total.Created, total.Updated, total.Unchanged, len(total.Rejected))
	}
	if len(res.UnknownColumns) > 0 {
		fmt.Fprintf(stdout, "Ignored columns: %s\n", strings.Join(res.UnknownColumns, ", "))
	}
	for i, r := range total.Rejected {
		if i == 50 {
			fmt.Fprintf(stdout, "… and %d more rejected rows.\n", len(total.Rejected)-50)
			break
		}
		fmt.Fprintf(stdout, "  row %d %s: %s\n", r.Row, r.Email, r.Reason)
	}
	return nil
}

// progress draws a bar on a terminal; elsewhere it prints nothing.
type progress struct {
	w     io.Writer
	total int
	tty   bool
	start time.Time
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	p.set(0)
	return p
}

func (p *progress) set(n int) {
	if !p.tty || p.total == 0 {
		return
	}
	const width = 30
	filled := width * n / p.total
	rate := float64(n) / max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d rows  %.0f rows/s ", strings.Repeat("#", filled), strings.Repeat(".", width-filled), n, p.total, rate)
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}
