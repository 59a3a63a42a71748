// Package qrsvg draws a link as a QR code in SVG, with github.com/piglig/go-qr
// (a port of Project Nayuki's QR Code generator, MIT licence).
//
// Guarantees: the SVG has no script, no style attribute and no external
// reference, so it can be put inline into a page under a Content-Security-
// Policy that allows no inline style; it is labelled for screen readers
// with the text given; error correction is level M (15%), so a printed
// code still scans when slightly marked.
package qrsvg

import (
	"fmt"
	"html"
	"strings"

	qr "github.com/piglig/go-qr"
)

// SVG returns text as a QR code: an <svg> element labelled label, four
// modules of quiet zone around it.
func SVG(text, label string) (string, error) {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return "", fmt.Errorf("QR code: %w", err)
	}
	b, err := code.ToSVGBytes(qr.NewQrCodeImgConfig(8, 32, qr.WithOptimalSVG()))
	if err != nil {
		return "", fmt.Errorf("QR code: %w", err)
	}
	svg := strings.Replace(string(b), "<svg ", `<svg role="img" focusable="false" aria-label="`+html.EscapeString(label)+`" `, 1)
	return svg, nil
}
