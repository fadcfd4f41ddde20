package edge

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
)

// Cache lifetimes of files served from memory: a content-hashed name
// never changes content, so it is cached for ever; a stable name (the
// widget's loader, an asset's plain name that old pages in caches still
// use) is looked at again after five minutes.
const (
	hashedCache = "public, max-age=31536000, immutable"
	plainCache  = "public, max-age=300"
)

// hashLen is how many hex digits of a file's SHA-256 name its content
// (48 bits: a collision between two builds' files is out of reach).
const hashLen = 12

// staticFile is one file served from memory: hashed and compressed once,
// at start-up, then served in the encoding the client accepts. It is
// read-only after newStaticFile and safe for concurrent use.
type staticFile struct {
	contentType string
	hash        string            // hashLen hex digits of the identity bytes
	body        map[string][]byte // by Content-Encoding: "", "br", "gzip"
}

// newStaticFile hashes data and compresses what pre (precompressed
// variants by Content-Encoding) lacks: brotli at its best for small files
// (a large one gets a fast level; make widget precompresses the
// WebAssembly at the best) and gzip at its best.
func newStaticFile(contentType string, data []byte, pre map[string][]byte) (*staticFile, error) {
	sum := sha256.Sum256(data)
	f := &staticFile{contentType: contentType, hash: hex.EncodeToString(sum[:])[:hashLen],
		body: map[string][]byte{"": data}}
	for enc, v := range pre {
		f.body[enc] = v
	}
	if _, ok := f.body["br"]; !ok {
		level := brotli.BestCompression
		if len(data) > 256<<10 {
			level = 5
		}
		var b bytes.Buffer
		if err := writeAll(brotli.NewWriterLevel(&b, level), data); err != nil {
			return nil, err
		}
		f.body["br"] = b.Bytes()
	}
	if _, ok := f.body["gzip"]; !ok {
		var b bytes.Buffer
		w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if err := writeAll(w, data); err != nil {
			return nil, err
		}
		f.body["gzip"] = b.Bytes()
	}
	return f, nil
}

func writeAll(w io.WriteCloser, data []byte) error {
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Close()
}

// hashedName puts the file's hash before name's extension:
// "lintel.css" → "lintel.3f9a1c2b04d5.css".
func (f *staticFile) hashedName(name string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + f.hash + ext
}

// serve answers with the file in the encoding the client accepts, with
// an ETag per encoding (so If-None-Match gets a 304), cacheControl, and
// corp as Cross-Origin-Resource-Policy.
func (f *staticFile) serve(w http.ResponseWriter, r *http.Request, cacheControl, corp string) {
	enc := encoding(r.Header.Get("Accept-Encoding"))
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", cacheControl)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", corp)
	h.Add("Vary", "Accept-Encoding")
	etag := `"` + f.hash
	if enc != "" {
		h.Set("Content-Encoding", enc)
		etag += "-" + enc
	}
	h.Set("ETag", etag+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body[enc]))
}

// encoding picks the Content-Encoding for an Accept-Encoding header: the
// one of brotli and gzip with the highest q-value (brotli on a tie), "*"
// standing for either when not named; none (identity) when both are
// refused (q=0) or not asked for.
func encoding(accept string) string {
	q := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		v := 1.0
		for _, p := range strings.Split(params, ";") {
			k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					v = f
				}
			}
		}
		if name != "" {
			q[name] = v
		}
	}
	best, bestQ := "", 0.0
	for _, enc := range []string{"br", "gzip"} {
		v, listed := q[enc]
		if !listed {
			v = q["*"] // 0 when "*" is absent as well
		}
		if v > bestQ {
			best, bestQ = enc, v
		}
	}
	return best
}

// fileSet is a set of files served from memory under one URL prefix, each
// at its content-hashed name (cached for ever) and, when added with its
// plain name, at that name too (cached briefly). It is built at start-up;
// once built it is read-only and safe for concurrent use.
type fileSet struct {
	prefix string
	// corp is the files' Cross-Origin-Resource-Policy.
	corp   string
	hashed map[string]*staticFile // by hashed name
	plain  map[string]*staticFile // by plain name, for those served so
	urls   map[string]string      // plain name → prefix + hashed name
}

func newFileSet(prefix, corp string) *fileSet {
	return &fileSet{prefix: prefix, corp: corp, hashed: map[string]*staticFile{},
		plain: map[string]*staticFile{}, urls: map[string]string{}}
}

// add hashes and compresses a file (see newStaticFile) and serves it at
// its hashed name, and at name as well when plain is true.
func (s *fileSet) add(name, contentType string, data []byte, pre map[string][]byte, plain bool) (*staticFile, error) {
	if _, dup := s.urls[name]; dup {
		return nil, fmt.Errorf("edge: %s%s added twice", s.prefix, name)
	}
	f, err := newStaticFile(contentType, data, pre)
	if err != nil {
		return nil, fmt.Errorf("edge: compress %s: %w", name, err)
	}
	hashed := f.hashedName(name)
	s.hashed[hashed] = f
	s.urls[name] = s.prefix + hashed
	if plain {
		s.plain[name] = f
	}
	return f, nil
}

// URL returns the path of name's hashed name, which pages reference;
// the plain path for a name the set lacks, so a page still links
// somewhere sensible.
func (s *fileSet) URL(name string) string {
	if u, ok := s.urls[name]; ok {
		return u
	}
	return s.prefix + name
}

// has reports whether the set serves name (a name under the prefix).
func (s *fileSet) has(name string) bool {
	_, hashed := s.hashed[name]
	_, plain := s.plain[name]
	return hashed || plain
}

// serve answers with the file served name (a name under the prefix) and
// reports whether there is one; when there is none it writes nothing.
func (s *fileSet) serve(w http.ResponseWriter, r *http.Request, name string) bool {
	if f, ok := s.hashed[name]; ok {
		f.serve(w, r, hashedCache, s.corp)
		return true
	}
	if f, ok := s.plain[name]; ok {
		f.serve(w, r, plainCache, s.corp)
		return true
	}
	return false
}
