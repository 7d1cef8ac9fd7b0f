// Package e2e holds Nätverk's browser tests: they build and start the
// natverk binary on embedded components with an SMTP sink, and drive
// headless Chromium (through the Chrome DevTools Protocol, with chromedp)
// through the pages members and organizers see — an RSVP link from a
// real invitation, the unsubscribe page, the organizer view and the
// public network page — at a phone and a desktop width, saving a
// screenshot of each and checking each with axe-core for serious
// accessibility violations (WCAG 2.1 A and AA).
//
// The tests need /usr/bin/chromium (Debian's chromium package) and npm
// (axe-core is installed on first use into $XDG_CACHE_HOME/natverk-axe).
// Without them the tests are skipped, or fail when CI=true. See
// docs/PAGES.md.
package e2e
