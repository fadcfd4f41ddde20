package emailtemplates

import "testing"

// BenchmarkRender measures rendering one email (subject, text, HTML
// with its CSS inlined): the sign-in email in English and Arabic, and
// the eight kinds that existed before the catalog and the CSS inliner
// (every-kind.en-8), to compare with the per-language templates they
// replaced, and all twelve.
func BenchmarkRender(b *testing.B) {
	s := mustNew(b)
	for _, lang := range []string{"en", "ar"} {
		b.Run("passwordless."+lang, func(b *testing.B) {
			v := samplePasswordless()
			for b.Loop() {
				if _, err := s.Passwordless(lang, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for name, ks := range map[string][]Kind{"every-kind.en-8": Kinds()[:8], "every-kind.en-12": Kinds()} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				for _, k := range ks {
					if _, err := renderView(s, "en", sampleView(k)); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	b.Run("passwordless.en.without-inlining", func(b *testing.B) {
		v := samplePasswordless()
		p := s.msgs[Passwordless]
		for b.Loop() {
			if _, err := p.execute(v, func(over string) env { return s.env("en", over) }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
