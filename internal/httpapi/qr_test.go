package httpapi

import (
	"bytes"
	"encoding/base64"
	"image/color"
	"image/png"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

func TestQRDataURL(t *testing.T) {
	const feed = "https://natverk.example.se/feeds/chefer-i-goteborg.ics"
	u := string(qrDataURL(feed))
	b64, ok := strings.CutPrefix(u, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40q", u)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != qrSize || b.Dy() != qrSize {
		t.Fatalf("size %v, want %dx%d", b, qrSize, qrSize)
	}
	// Every module of the image is the module of the code for the feed
	// URL (quiet zone included), sampled at its centre.
	q, err := qrcode.New(feed, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	bits := q.Bitmap()
	n := len(bits)
	scale := float64(qrSize) / float64(n)
	wrong := 0
	for y := range n {
		for x := range n {
			c := color.GrayModel.Convert(img.At(int((float64(x)+0.5)*scale), int((float64(y)+0.5)*scale))).(color.Gray)
			if dark := c.Y < 128; dark != bits[y][x] {
				wrong++
			}
		}
	}
	if wrong > 0 {
		t.Fatalf("%d of %d modules differ from the code of %q", wrong, n*n, feed)
	}
	if !bits[4][4] || bits[0][0] {
		t.Fatal("no quiet zone or finder pattern where expected")
	}
}

func TestQRDataURLTooLong(t *testing.T) {
	if u := qrDataURL("https://example.org/" + strings.Repeat("x", 5000)); u != "" {
		t.Fatalf("a URL longer than a QR code holds gave %.40q", u)
	}
}
