package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/text/language"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

func (e *env) emailCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "email",
		Short: "Preview the emails Lintel sends",
	}
	cmd.AddCommand(e.emailPreviewCommand())
	return cmd
}

func (e *env) emailPreviewCommand() *cobra.Command {
	var tenantRef, brandRef, appRef, locale, out string
	cmd := &cobra.Command{
		Use:   "preview KIND",
		Short: "Render an email with sample data, as a brand and app send it, to files",
		Long: `Render the email KIND (or every kind, with "all") with sample data as the
tenant's brand and app would send it in a language: their published theme
(colours, logo, texts, template overrides) and the built-in templates. It
writes KIND.LANG.html and KIND.LANG.txt into the output directory and prints
each subject. It reads the database directly, as the admin commands do, and
sends nothing.

Kinds: ` + strings.Join(emailKinds(), ", ") + `.`,
		Example: `  lintel email preview passwordless --tenant acme --brand "Acme Outdoor" --app shop --locale de --out /tmp/mail`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("email preview: want one KIND, got %d arguments", len(args))
			}
			if args[0] != "all" && !slices.Contains(emailKinds(), args[0]) {
				return fmt.Errorf("email preview: unknown kind %q: want all or one of %s", args[0], strings.Join(emailKinds(), ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			tag, err := language.Parse(locale)
			if err != nil {
				return fmt.Errorf("email preview: --locale %q is not a BCP 47 language tag", locale)
			}
			kinds := emailKinds()
			if args[0] != "all" {
				kinds = []string{args[0]}
			}
			return e.withSystem(cmd, func(ctx context.Context, s *system) error {
				// Files are named after the language the catalog serves:
				// ar-EG is written in ar.
				lang := s.locales.Match(tag.String(), "", "").String()
				return e.previewEmails(ctx, s, tenantRef, brandRef, appRef, lang, out, kinds)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&tenantRef, "tenant", "", "tenant ID or slug (required)")
	f.StringVar(&brandRef, "brand", "", "brand ID or name; default the tenant's look")
	f.StringVar(&appRef, "app", "", "app ID or name; default no app")
	f.StringVar(&locale, "locale", "en", "language, a BCP 47 tag (pt-BR gets Portuguese, an unknown one English)")
	f.StringVar(&out, "out", ".", "directory to write the files to (created if missing)")
	_ = cmd.MarkFlagRequired("tenant")
	settings.Bind(f, adminFlags)
	return cmd
}

// emailKinds names every kind of email.
func emailKinds() []string {
	var kinds []string
	for _, k := range emailtemplates.Kinds() {
		kinds = append(kinds, string(k))
	}
	return kinds
}

// previewEmails renders kinds as the brand and app of the tenant send
// them in lang, and writes them into dir. It dresses the built-in
// templates as flows do (branding.Mail) and renders each kind's sample
// with the brand's name and links on the tenant's site.
func (e *env) previewEmails(ctx context.Context, s *system, tenantRef, brandRef, appRef, lang, dir string, kinds []string) error {
	var set *emailtemplates.Set
	var site emailtemplates.Site
	err := s.store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		t, err := s.tenants.Tenant(ctx, tx, tenantRef)
		if err != nil {
			return fmt.Errorf("tenant %q: %w", tenantRef, err)
		}
		site.Brand = t.Name
		brandID, err := findBrand(ctx, tx, s.tenants, t.ID, brandRef)
		if err != nil {
			return err
		}
		if brandID != "" {
			b, err := s.tenants.Brand(ctx, tx, t.ID, brandID)
			if err != nil {
				return err
			}
			site.Brand = b.Name
		}
		appID, err := findApp(ctx, tx, s.tenants, t.ID, appRef)
		if err != nil {
			return err
		}
		if appID != "" {
			a, err := s.tenants.App(ctx, tx, t.ID, appID)
			if err != nil {
				return err
			}
			site.App = a.Name
		}
		if site.Base, err = s.tenants.SiteBase(ctx, tx, t.ID); err != nil {
			return fmt.Errorf("the tenant's site: %w", err)
		}
		r, err := s.branding.ResolveIn(ctx, tx, t.ID, brandID, appID, lang)
		if err != nil {
			return fmt.Errorf("the theme: %w", err)
		}
		set, err = s.brandMail.Set(ctx, tx, r, site.Brand, site.Base)
		return err
	})
	if err != nil {
		return fmt.Errorf("email preview: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("email preview: %w", err)
	}
	for _, kind := range kinds {
		m, err := set.SampleFor(lang, emailtemplates.Kind(kind), site)
		if err != nil {
			return fmt.Errorf("email preview: %w", err)
		}
		base := filepath.Join(dir, kind+"."+lang)
		if err := os.WriteFile(base+".html", []byte(m.HTML), 0o644); err != nil {
			return fmt.Errorf("email preview: %w", err)
		}
		if err := os.WriteFile(base+".txt", []byte(m.Text), 0o644); err != nil {
			return fmt.Errorf("email preview: %w", err)
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%s.html\t%s.txt\n", kind, m.Subject, base, base)
	}
	return nil
}

// findBrand returns the ID of the tenant's brand ref names (its ID or
// its name, ignoring case); "" for none.
func findBrand(ctx context.Context, tx store.Tx, ts *tenant.Service, tenantID, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	if b, err := ts.Brand(ctx, tx, tenantID, ref); err == nil {
		return b.ID, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	for after := ""; ; {
		brands, next, err := ts.ListBrands(ctx, tx, tenantID, tenant.Page{After: after, Limit: 100})
		if err != nil {
			return "", err
		}
		for _, b := range brands {
			if strings.EqualFold(b.Name, ref) {
				return b.ID, nil
			}
		}
		if next == "" {
			return "", fmt.Errorf("brand %q: %w", ref, store.ErrNotFound)
		}
		after = next
	}
}

// findApp returns the ID of the tenant's app ref names (its ID or its
// name, ignoring case); "" for none.
func findApp(ctx context.Context, tx store.Tx, ts *tenant.Service, tenantID, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	if a, err := ts.App(ctx, tx, tenantID, ref); err == nil {
		return a.ID, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	apps, _, err := ts.ListApps(ctx, tx, tenantID, tenant.AppFilter{Name: ref, Limit: 100})
	if err != nil {
		return "", err
	}
	for _, a := range apps {
		if strings.EqualFold(a.Name, ref) {
			return a.ID, nil
		}
	}
	return "", fmt.Errorf("app %q: %w", ref, store.ErrNotFound)
}
