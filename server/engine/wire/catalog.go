package wire

// Catalog is one language's messages for a client that renders flows
// itself (the widget after its WebAssembly has loaded). The server builds
// it from the same catalogs the hosted pages use, so both show the same
// words; it travels as JSON (GET /api/v1/locales/{lang}).
//
// Plural rules are not shipped as code: the server precomputes the plural
// category of every integer below len(Counts), and a client picks the
// category of a larger integer n as Counts[100+n%100] (CLDR integer rules
// look at n modulo 10 or 100 and at values below 200; len(Counts) is at
// least 200 when any message is plural).
type Catalog struct {
	Lang string // BCP 47 tag
	Dir  string // DirLTR or DirRTL
	// Isolate wraps every substituted parameter in U+2068 … U+2069, as
	// the server does in right-to-left languages.
	Isolate bool
	// Messages are the plain messages by ID: templates with {name}
	// placeholders; "{{" stands for a literal "{".
	Messages map[string]string
	// Plurals are the plural messages by ID, each a template per CLDR
	// category name ("zero", "one", "two", "few", "many", "other").
	Plurals map[string]map[string]string
	// Counts[n] is the plural category name of the integer n.
	Counts []string
}
