package emailtemplates

// samples returns views of kind k that exercise every branch of the
// built-in templates: Load renders each, so that a template naming an
// unknown field, or calling a function wrongly, fails at load time.
func samples(k Kind) []any {
	var views []any
	for _, n := range []int{1, 2, 3, 11, 100} {
		switch k {
		case Passwordless:
			views = append(views,
				PasswordlessView{Brand: "Acme", App: "Acme Shop", Code: "123456", Link: "https://login.acme.example/magic?t=abc",
					ExpiresMinutes: n, RequestedAt: "2026-03-14 09:26 UTC", IP: "203.0.113.7"},
				PasswordlessView{Brand: "Acme", ExpiresMinutes: n, Link: "https://login.acme.example/"})
		case Lockout:
			views = append(views,
				LockoutView{Brand: "Acme", App: "Acme Shop", Until: "2026-03-14 09:56 UTC", Minutes: n, Attempts: n},
				LockoutView{Brand: "Acme", Minutes: n},
				LockoutView{Brand: "Acme", Until: "2026-03-14 09:56 UTC"},
				LockoutView{})
		case Activation:
			views = append(views,
				ActivationView{Brand: "Acme", App: "Acme Shop", Link: "https://login.acme.example/activate?t=abc", ExpiresHours: n, Name: "Layla"},
				ActivationView{ExpiresHours: n, Link: "https://login.acme.example/"})
		case VerifyEmail:
			views = append(views,
				VerifyEmailView{Brand: "Acme", App: "Acme Shop", Code: "123456", Link: "https://login.acme.example/verify?t=abc", ExpiresMinutes: n},
				VerifyEmailView{Code: "123456", ExpiresMinutes: n, Link: "https://login.acme.example/"},
				// Link only: its life in hours, or else in minutes.
				VerifyEmailView{Brand: "Acme", App: "Acme Shop", Link: "https://login.acme.example/verify-email/lver_abc", ExpiresHours: n},
				VerifyEmailView{ExpiresMinutes: n, Link: "https://login.acme.example/"})
		case Recovery:
			views = append(views,
				RecoveryView{Brand: "Acme", App: "Acme Shop", Code: "123456", Link: "https://login.acme.example/recover?t=abc",
					ExpiresMinutes: n, RequestedAt: "2026-03-14 09:26 UTC", IP: "203.0.113.7"},
				RecoveryView{ExpiresMinutes: n, Link: "https://login.acme.example/"})
		case EmailChange:
			views = append(views,
				EmailChangeView{Brand: "Acme", App: "Acme Shop", Code: "123456", Link: "https://login.acme.example/email?t=abc", ExpiresMinutes: n},
				EmailChangeView{ExpiresMinutes: n, Link: "https://login.acme.example/"})
		}
	}
	switch k {
	case Recovered:
		views = append(views,
			RecoveredView{Brand: "Acme", At: "2026-03-14 09:26 UTC", IP: "203.0.113.7"},
			RecoveredView{At: "2026-03-14 09:26 UTC"},
			RecoveredView{IP: "203.0.113.7"},
			RecoveredView{})
	case EmailChanged:
		views = append(views,
			EmailChangedView{Brand: "Acme", NewAddress: "j•••@example.com", At: "2026-03-14 09:26 UTC"},
			EmailChangedView{NewAddress: "j•••@example.com"},
			EmailChangedView{})
	}
	return views
}

// check renders p with every sample view of kind k in every sample
// theme.
func (p *parts) check(k Kind) error {
	for _, t := range sampleThemes() {
		for _, v := range samples(k) {
			if _, err := p.render(themed(v, t)); err != nil {
				return err
			}
		}
	}
	return nil
}

// sampleThemes are the themes templates are checked with: the default,
// a brand's light theme with a logo, and a dark one without.
func sampleThemes() []themeData {
	return []themeData{DefaultTheme().data(), sampleBrandTheme().data(), sampleDarkTheme().data()}
}

// sampleBrandTheme is a brand's light theme: a blue accent, a serif-less
// font list with a quoted family, and a logo of known size.
func sampleBrandTheme() Theme {
	return Theme{
		Background: "#eef2ff", Surface: "#ffffff", Border: "#c7d2fe", Text: "#1e1b4b", Muted: "#4b5563",
		Accent: "#4338ca", OnAccent: "#ffffff", Link: "#4338ca",
		Font:   `"Helvetica Neue", Helvetica, Arial, sans-serif`,
		Radius: "12px",
		Logo:   "https://login.acme.example/branding/assets/ast_logo.png", LogoAlt: "Acme",
		LogoWidth: 320, LogoHeight: 96,
	}
}

// sampleDarkTheme is a dark theme: dark background and surface, light
// text, no logo.
func sampleDarkTheme() Theme {
	return Theme{
		Background: "#09090b", Surface: "#18181b", Border: "#3f3f46", Text: "#fafafa", Muted: "#a1a1aa",
		Accent: "#a5b4fc", OnAccent: "#1e1b4b", Link: "#a5b4fc",
		Font: "Arial, Helvetica, sans-serif", Radius: "8px", Dark: true,
	}
}
