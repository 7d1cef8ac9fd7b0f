package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-ical"
)

// Caps on untrusted input.
const (
	// DefaultMaxBytes is the size limit of Parse when ParseOptions.MaxBytes
	// is not set (INTEROP §2.2 suggests 256 KiB for inbound mail).
	DefaultMaxBytes = 256 << 10
	// maxComponents bounds the BEGIN lines of one input.
	maxComponents = 1000
	// maxDepth bounds component nesting (go-ical's decoder recurses).
	maxDepth = 8
)

// ParseOptions bound and steer parsing of untrusted iCalendar data.
type ParseOptions struct {
	// MaxBytes is the largest input accepted; <= 0 means DefaultMaxBytes.
	MaxBytes int64
	// FallbackZone reads floating times, and times whose TZID names no
	// zone that can be resolved; nil means UTC for floating times and an
	// error for unknown zones.
	FallbackZone *time.Location
}

// Parse decodes the first VCALENDAR of r defensively: input beyond MaxBytes,
// more than a thousand components or nesting deeper than eight levels is
// refused before decoding, and a panic of go-ical's decoder (it panics on
// lines such as "X;A=b", INTEROP §6) is recovered and returned as an
// error. Nothing is expanded.
func Parse(r io.Reader, opt ParseOptions) (cal *ical.Calendar, err error) {
	limit := opt.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("calendar: input is larger than %d bytes", limit)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if err := checkStructure(data); err != nil {
		return nil, err
	}
	defer func() {
		if v := recover(); v != nil {
			cal, err = nil, fmt.Errorf("calendar: malformed iCalendar: %v", v)
		}
	}()
	cal, err = ical.NewDecoder(bytes.NewReader(data)).Decode()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, errors.New("calendar: empty or truncated iCalendar (missing END:VCALENDAR?)")
	}
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	return cal, nil
}

// checkStructure counts BEGIN and END lines before go-ical sees them.
func checkStructure(data []byte) error {
	n, depth := 0, 0
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		switch {
		case hasPrefixFold(line, "BEGIN:"):
			n++
			depth++
			if n > maxComponents {
				return fmt.Errorf("calendar: more than %d components", maxComponents)
			}
			if depth > maxDepth {
				return fmt.Errorf("calendar: components nested deeper than %d", maxDepth)
			}
		case hasPrefixFold(line, "END:"):
			depth--
		}
	}
	return nil
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
