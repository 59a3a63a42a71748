package qrsvg

import (
	"strings"
	"testing"

	qr "github.com/piglig/go-qr"
)

// TestSVGScansBack encodes links, renders the same code as an image and
// decodes it, and checks the SVG holds nothing a strict CSP would block.
func TestSVGScansBack(t *testing.T) {
	tests := []string{
		"https://feedback.example.org/f/abcdefghijklmnopqrstuvwxyz234567",
		"http://127.0.0.1:8420/f/ffffffffffffffffffffffffffffffff",
	}
	for _, link := range tests {
		t.Run(link, func(t *testing.T) {
			svg, err := SVG(link, `QR code for "the link"`)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"<script", "style=", "href", "<image", "url("} {
				if strings.Contains(svg, bad) {
					t.Errorf("SVG holds %q", bad)
				}
			}
			if !strings.Contains(svg, `aria-label="QR code for &#34;the link&#34;"`) || !strings.Contains(svg, `role="img"`) {
				t.Errorf("SVG not labelled: %.200s", svg)
			}
			code, err := qr.EncodeText(link, qr.Medium)
			if err != nil {
				t.Fatal(err)
			}
			img, err := code.ToImage(qr.NewQrCodeImgConfig(8, 32))
			if err != nil {
				t.Fatal(err)
			}
			got, err := qr.Decode(img)
			if err != nil {
				t.Fatal(err)
			}
			if got != link {
				t.Errorf("decoded %q, want %q", got, link)
			}
		})
	}
}
