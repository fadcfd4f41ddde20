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

// check renders p with every sample view of kind k.
func (p *parts) check(k Kind) error {
	for _, v := range samples(k) {
		if _, err := p.render(v); err != nil {
			return err
		}
	}
	return nil
}
