package httpapi

import (
	"encoding/base64"
	"html/template"

	qrcode "github.com/skip2/go-qrcode"
)

// qrSize is the side of the QR code image in pixels: large enough to
// print sharply on a handout, small enough for a page (about 1 KB).
const qrSize = 320

// qrDataURL returns a QR code of u as a PNG data: URL for an <img>
// (the pages' CSP allows img-src data:), or "" when u cannot be encoded
// (longer than a QR code holds). Medium error correction (15%) survives
// a creased or smudged printout.
func qrDataURL(u string) template.URL {
	png, err := qrcode.Encode(u, qrcode.Medium, qrSize)
	if err != nil {
		return ""
	}
	// The base64 alphabet and the fixed prefix cannot form anything but a
	// data URL, so it is safe to mark for html/template.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}
