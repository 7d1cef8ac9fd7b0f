package harness

import (
	"fmt"
	"strings"
)

// Register is a generated member register.
type Register struct {
	// CSV is the register as the import endpoint takes it.
	CSV string
	// Emails are the members' addresses, in order.
	Emails []string
}

// Members generates n members living in town, with addresses
// <prefix>-00001@example.org and so on (unique per prefix).
func Members(prefix, town string, n int) Register {
	var b strings.Builder
	b.WriteString("email,name,town,industry,company\n")
	r := Register{Emails: make([]string, 0, n)}
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("%s-%05d@example.org", prefix, i)
		r.Emails = append(r.Emails, email)
		fmt.Fprintf(&b, "%s,Medlem %d Öberg,%s,Logistik,Hamnbolaget AB\n", email, i, town)
	}
	r.CSV = b.String()
	return r
}
