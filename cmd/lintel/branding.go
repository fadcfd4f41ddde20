package main

import (
	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/server/branding"
	"github.com/lintel-id/lintel/themes"
	"github.com/lintel-id/lintel/themes/pagetemplate"
)

// openBranding opens the tenants' themes (server/branding) and the mail
// view of them the engine sends with. The instance's own level of the
// cascade is its base theme (theme.base, light by default).
func (s *system) openBranding(base string) error {
	var err error
	s.branding, err = branding.New(branding.Deps{
		Store: s.store, Tenants: s.tenants, Clock: s.clock, Logger: s.log, MAC: s.secrets.MAC,
		Instance: themes.Document{Base: base},
		Checks: themes.Checks{
			Text: s.locales.CheckText,
			Email: func(lang, kind string, t themes.EmailTemplate) error {
				return s.emails.CheckOverride(lang, kind, emailtemplates.Override{Subject: t.Subject, Text: t.Text, HTML: t.HTML})
			},
			PageTemplate: pagetemplate.Check,
		},
	})
	if err != nil {
		return err
	}
	s.brandMail = &branding.Mail{Themes: s.branding, Tenants: s.tenants, Templates: s.emails, Logger: s.log}
	return nil
}
