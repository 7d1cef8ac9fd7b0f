package mailer

import "time"

// SetIdleCheck changes how long a pooled SMTP connection may sit unused
// before it is checked with NOOP, so tests need not wait 30 s.
func SetIdleCheck(s *SMTP, d time.Duration) { s.idleCheck = d }
