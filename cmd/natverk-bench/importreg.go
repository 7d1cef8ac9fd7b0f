package main

import (
	"context"
	"fmt"
	"time"
)

// benchImport imports the register through the API (POST
// /api/v1/members/import, text/csv): parsing, validation and the store's
// one-transaction upsert. On Postgres it also times COPY of the same CSV
// into a bare table. The members are needed by the later scenarios, so
// the import runs even when its figure is not wanted.
func (b *bench) benchImport(ctx context.Context, st store, svc *service, dbURL string, ps []person) error {
	csv := registerCSV(ps)
	var res struct{ Created, Updated, Unchanged int }
	start := time.Now()
	if err := svc.api(ctx, "POST", "/api/v1/members/import", "text/csv", csv, 200, &res); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	d := time.Since(start)
	if res.Created != len(ps) {
		return fmt.Errorf("import created %d members, want %d (%+v)", res.Created, len(ps), res)
	}
	if !b.wants("import") {
		return nil
	}
	note := fmt.Sprintf("%d rows, %d KB CSV", len(ps), len(csv)>>10)
	if st.name == "sqlite" {
		r := result("register_import", st.name, d.Seconds()*100_000/float64(len(ps)), "s/100k rows", "", 0, atMost(10))
		r.Note = note
		b.add(r)
		return nil
	}
	ref, err := copyReference(ctx, dbURL, csv)
	if err != nil {
		b.add(failed("register_import", st.name, err))
		return nil
	}
	r := result("register_import", st.name, d.Seconds(), "s", "postgres COPY into a bare table", ref.Seconds(), atMostRatio(5))
	r.Note = note
	b.add(r)
	return nil
}
