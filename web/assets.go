package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// static holds GOV.UK Frontend's compiled stylesheet and script (refreshed by
// scripts/govuk-frontend.sh, licence beside them) and Candour's own script.
//
//go:embed static
var static embed.FS

// asset is one file served under a name that carries a digest of its
// content, so that it can be cached for a year and changes name when it
// changes.
type asset struct {
	body        []byte
	gzipped     []byte // body gzipped at start, when that is smaller
	contentType string
}

// assets maps the plain names the templates use onto hashed paths, and the
// hashed paths onto content.
type assets struct {
	paths  map[string]string // "candour.css" → "/assets/candour.1a2b3c4d5e6f.css"
	served map[string]asset  // "/assets/candour.1a2b3c4d5e6f.css" → content
}

// loadAssets reads the embedded files and adds init.mjs, which starts GOV.UK
// Frontend's components from the script's hashed name.
func loadAssets() (*assets, error) {
	a := &assets{paths: map[string]string{}, served: map[string]asset{}}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			return nil, err
		}
		a.add(e.Name(), b)
	}
	govuk := a.paths["govuk-frontend.min.js"]
	a.add("init.mjs", []byte(`import { initAll } from "`+govuk+`";`+"\ninitAll();\n"))
	return a, nil
}

func (a *assets) add(name string, body []byte) {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	if strings.HasSuffix(name, ".min.js") {
		ext = ".min.js"
	}
	hashed := "/assets/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".mjs", ".js":
		ct = "text/javascript; charset=utf-8"
	case ".txt":
		ct = "text/plain; charset=utf-8"
	}
	a.paths[name] = hashed
	f := asset{body: body, contentType: ct}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(body)
	if w.Close() == nil && gz.Len() < len(body) {
		f.gzipped = gz.Bytes()
	}
	a.served[hashed] = f
}

// path returns the hashed path of a named asset ("" for an unknown name,
// which the template tests catch).
func (a *assets) path(name string) string { return a.paths[name] }

// ServeHTTP serves an asset by its hashed path, cacheable for a year,
// gzipped when the browser takes it. (Only these fixed files are
// compressed: pages are not, since a page that reflects what was typed
// beside what it holds would let compression leak it, as in BREACH.)
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.served[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Vary", "Accept-Encoding")
	body := f.body
	if f.gzipped != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = f.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip (and
// does not refuse it with q=0).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
