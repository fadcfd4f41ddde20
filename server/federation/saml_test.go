package federation

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// samlCase is one sign-in through the crewjam IdP, posted to the ACS.
type samlCase struct {
	name    string
	encrypt bool                                         // the IdP encrypts the assertion
	session func(*saml.Session)                          // what the IdP knows of the person
	edit    func(*saml.Assertion)                        // changes the IdP signs
	status  *saml.StatusError                            // the IdP refuses with this status
	config  func(*Config)                                // the IdP's settings at Lintel
	pend    func(*Pending)                               // what the flow kept
	shift   time.Duration                                // our clock moves before the POST
	tamper  func(*testing.T, *samlWorld, *etree.Element) // the attacker edits the Response
	want    error                                        // nil, or the sentinel
	why     error                                        // the reason in the chain, if checked
	check   func(*testing.T, Assertion)
}

func TestSAMLExchange(t *testing.T) {
	t.Parallel()
	eachSAMLWorld(t, func(t *testing.T, w *samlWorld) {
		other, otherCert := samlTestKey(t, 2, "Attacker")
		cases := []samlCase{
			{name: "accepts a signed assertion", check: func(t *testing.T, a Assertion) {
				want := Assertion{IdPID: w.idp.ID, Subject: "u-1234", Email: "ada@example.com"}
				if a.IdPID != want.IdPID || a.Subject != want.Subject || a.Email != want.Email || a.EmailVerified {
					t.Errorf("assertion = %+v, want %+v", a, want)
				}
				for name, want := range map[string]any{
					"mail":                              []any{"Ada@Example.com"},
					"urn:oid:0.9.2342.19200300.100.1.3": []any{"Ada@Example.com"},
					"givenName":                         []any{"Ada"},
					"eduPersonAffiliation":              []any{"staff", "admins"},
					"name_id":                           "u-1234",
					"name_id_format":                    string(saml.PersistentNameIDFormat),
					"session_index":                     "sess-1",
				} {
					if got := a.Claims[name]; !equalClaim(got, want) {
						t.Errorf("claim %s = %#v, want %#v", name, got, want)
					}
				}
			}},
			{name: "accepts an encrypted signed assertion", encrypt: true,
				tamper: func(t *testing.T, _ *samlWorld, resp *etree.Element) { child(t, resp, "EncryptedAssertion") },
				check: func(t *testing.T, a Assertion) {
					if a.Subject != "u-1234" || a.Email != "ada@example.com" {
						t.Errorf("assertion = %+v", a)
					}
				}},
			{name: "takes the email from an emailAddress NameID", session: func(s *saml.Session) {
				s.NameID, s.NameIDFormat = "Grace@Example.com", string(saml.EmailAddressNameIDFormat)
			}, check: func(t *testing.T, a Assertion) {
				if a.Subject != "Grace@Example.com" || a.Email != "grace@example.com" {
					t.Errorf("assertion = %+v", a)
				}
			}},
			{name: "takes the email from the configured attribute, verified as configured",
				session: func(s *saml.Session) { s.EduPersonPrincipalName = "ada.l@example.org" },
				config: func(c *Config) {
					c.SAMLEmailAttribute, c.SAMLEmailVerified = "eduPersonPrincipalName", true
				},
				check: func(t *testing.T, a Assertion) {
					if a.Email != "ada.l@example.org" || !a.EmailVerified {
						t.Errorf("assertion = %+v", a)
					}
				}},
			{name: "accepts within the clock skew", shift: 80 * time.Second},
			{name: "refuses a transient NameID", session: func(s *saml.Session) { s.NameIDFormat = string(saml.TransientNameIDFormat) },
				want: ErrInvalid, why: errSAMLNameID},
			{name: "refuses an unsigned assertion", tamper: func(t *testing.T, _ *samlWorld, resp *etree.Element) {
				unsign(t, resp)
				unsign(t, child(t, resp, "Assertion"))
			}, want: ErrInvalid},
			{name: "refuses an unsigned assertion in a signed response", tamper: func(t *testing.T, w *samlWorld, resp *etree.Element) {
				unsign(t, child(t, resp, "Assertion"))
				sign(t, resp, w.idpKey, w.idpCert)
			}, want: ErrInvalid, why: errSAMLUnsigned},
			{name: "refuses an assertion signed by another key", tamper: func(t *testing.T, _ *samlWorld, resp *etree.Element) {
				unsign(t, resp)
				sign(t, child(t, resp, "Assertion"), other, otherCert)
			}, want: ErrInvalid, why: saml.ErrInvalidSignature},
			{name: "refuses another audience", edit: func(a *saml.Assertion) {
				a.Conditions.AudienceRestrictions[0].Audience.Value = "https://other.test" + samlMetadataPath
			}, want: ErrInvalid, why: saml.ErrAudienceMismatch},
			{name: "refuses another recipient", edit: func(a *saml.Assertion) {
				a.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient = "https://other.test" + samlACSPath
			}, want: ErrInvalid, why: saml.ErrDestinationMismatch},
			{name: "refuses another destination", tamper: func(t *testing.T, _ *samlWorld, resp *etree.Element) {
				unsign(t, resp)
				resp.CreateAttr("Destination", "https://other.test"+samlACSPath)
			}, want: ErrInvalid, why: saml.ErrDestinationMismatch},
			{name: "refuses an answer to another request", pend: func(p *Pending) { p.RequestID = "id-someone-elses" },
				want: ErrInvalid, why: saml.ErrRequestIDMismatch},
			{name: "refuses an expired assertion", shift: 90*time.Second + samlSkew, want: ErrInvalid, why: saml.ErrExpired},
			{name: "refuses an assertion not yet valid", shift: -samlSkew - time.Second, want: ErrInvalid, why: errSAMLTime},
			{name: "refuses a forged assertion before the signed one", tamper: func(t *testing.T, _ *samlWorld, resp *etree.Element) {
				unsign(t, resp)
				signed := child(t, resp, "Assertion")
				forged := forge(t, signed, false)
				resp.InsertChildAt(signed.Index(), forged)
			}, want: ErrInvalid},
			{name: "refuses a forged assertion with the signed one moved into Extensions", tamper: func(t *testing.T, _ *samlWorld, resp *etree.Element) {
				unsign(t, resp)
				signed := child(t, resp, "Assertion")
				forged := forge(t, signed, false)
				at := signed.Index()
				resp.RemoveChild(signed)
				resp.InsertChildAt(at, forged)
				ext := etree.NewElement("samlp:Extensions")
				ext.AddChild(signed)
				resp.InsertChildAt(child(t, resp, "Issuer").Index()+1, ext)
			}, want: ErrInvalid},
			{name: "refuses a forged assertion carrying the signature, the signed one in its Object", tamper: func(t *testing.T, _ *samlWorld, resp *etree.Element) {
				unsign(t, resp)
				signed := child(t, resp, "Assertion")
				forged := forge(t, signed, true)
				at := signed.Index()
				resp.RemoveChild(signed)
				resp.InsertChildAt(at, forged)
				object := child(t, forged, "Signature").CreateElement("ds:Object")
				object.AddChild(signed)
			}, want: ErrInvalid, why: saml.ErrInvalidSignature},
			{name: "refuses a changed NameID in the signed assertion", tamper: func(t *testing.T, _ *samlWorld, resp *etree.Element) {
				unsign(t, resp)
				child(t, child(t, child(t, resp, "Assertion"), "Subject"), "NameID").SetText("u-evil")
			}, want: ErrInvalid, why: saml.ErrInvalidSignature},
			{name: "refuses a RequestDenied status as denied",
				status: &saml.StatusError{TopLevel: saml.StatusResponder, SecondLevel: saml.StatusRequestDenied},
				want:   ErrDenied},
			{name: "refuses an AuthnFailed status as denied",
				status: &saml.StatusError{TopLevel: saml.StatusResponder, SecondLevel: saml.StatusAuthnFailed},
				want:   ErrDenied},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				w.reset()
				w.encrypt, w.session, w.edit, w.status = c.encrypt, c.session, c.edit, c.status
				idp := w.idp
				if c.config != nil {
					c.config(&w.idp.Config)
					defer func() { w.idp = idp }()
				}
				pend, form := w.authorize(t)
				if form.Get("RelayState") != "state-123" {
					t.Errorf("RelayState = %q, want the state", form.Get("RelayState"))
				}
				if c.pend != nil {
					c.pend(&pend)
				}
				if c.tamper != nil {
					form = rewrite(t, form, func(resp *etree.Element) { c.tamper(t, w, resp) })
				}
				w.clk.Advance(c.shift)
				a, err := w.exchange(t, w.svc, pend, form)
				switch {
				case c.want == nil && err != nil:
					t.Fatalf("Exchange: %v", err)
				case c.want != nil && !errors.Is(err, c.want):
					t.Fatalf("Exchange: %v, want %v", err, c.want)
				case c.why != nil && !errors.Is(err, c.why):
					t.Fatalf("Exchange: %v, want the reason %v", err, c.why)
				}
				if c.check != nil {
					c.check(t, a)
				}
			})
		}
	})
}

func TestSAMLExchangeRefusesBadInput(t *testing.T) {
	t.Parallel()
	eachSAMLWorld(t, func(t *testing.T, w *samlWorld) {
		pend, form := w.authorize(t)
		for name, v := range map[string]string{
			"no SAMLResponse":        "",
			"not base64":             "%%%",
			"not XML":                base64.StdEncoding.EncodeToString([]byte("hello")),
			"an oversized response":  strings.Repeat("A", maxSAMLResponse+4),
			"a DTD with an entity":   base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>`)),
			"another protocol's XML": base64.StdEncoding.EncodeToString([]byte(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)),
		} {
			t.Run(name, func(t *testing.T) {
				if _, err := w.exchange(t, w.svc, pend, url.Values{"SAMLResponse": {v}}); !errors.Is(err, ErrInvalid) {
					t.Errorf("Exchange = %v, want ErrInvalid", err)
				}
			})
		}
		t.Run("no pending request", func(t *testing.T) {
			p := pend
			p.RequestID = ""
			if _, err := w.exchange(t, w.svc, p, form); !errors.Is(err, ErrInvalid) {
				t.Errorf("Exchange = %v, want ErrInvalid", err)
			}
		})
		t.Run("a RelayState over 80 bytes", func(t *testing.T) {
			err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
				_, _, err := w.svc.AuthURL(ctx, tx, w.idp, AuthParams{Callback: samlBase + samlACSPath, Base: samlBase, State: strings.Repeat("s", 81)})
				return err
			})
			if !errors.Is(err, saml.ErrRelayStateTooLong) {
				t.Errorf("AuthURL = %v, want ErrRelayStateTooLong", err)
			}
		})
		t.Run("an ACS URL outside the base", func(t *testing.T) {
			err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
				_, _, err := w.svc.AuthURL(ctx, tx, w.idp, AuthParams{Callback: "https://other.test" + samlACSPath, Base: samlBase, State: "s"})
				return err
			})
			if !errors.Is(err, ErrConfig) {
				t.Errorf("AuthURL = %v, want ErrConfig", err)
			}
		})
	})
}

func TestSAMLReplay(t *testing.T) {
	t.Parallel()
	eachSAMLWorld(t, func(t *testing.T, w *samlWorld) {
		// A second node: its own store handle and services, same database.
		node2 := w.node(t, w.open(t))

		pend, form := w.authorize(t)
		if _, err := w.exchange(t, w.svc, pend, form); err != nil {
			t.Fatalf("first POST: %v", err)
		}
		for name, svc := range map[string]*Service{"same node": w.svc, "another node": node2} {
			if _, err := w.exchange(t, svc, pend, form); !errors.Is(err, ErrInvalid) || !errors.Is(err, errSAMLReplayed) {
				t.Errorf("second POST on %s = %v, want a replay", name, err)
			}
		}

		// The same response posted on both nodes at once: one wins.
		pend, form = w.authorize(t)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, svc := range []*Service{w.svc, node2} {
			wg.Go(func() {
				errs[i] = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
					_, err := svc.Exchange(ctx, tx, w.idp, pend, form)
					return err
				})
			})
		}
		wg.Wait()
		if ok := slices.IndexFunc(errs, func(err error) bool { return err == nil }); ok < 0 || !errors.Is(errs[1-ok], errSAMLReplayed) {
			t.Errorf("concurrent POSTs = %v, want one accepted and one replay", errs)
		}

		// Rows go once the assertions can no longer be accepted anyway.
		purge := func(at time.Time) int {
			return storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (int, error) {
				return w.svc.PurgeSAMLReplays(ctx, tx, at)
			})
		}
		if n := purge(samlT0); n != 0 {
			t.Errorf("purge now deleted %d rows, want 0", n)
		}
		if n := purge(samlT0.Add(90*time.Second + samlSkew + time.Second)); n != 2 {
			t.Errorf("purge after expiry deleted %d rows, want 2", n)
		}
		if n := w.seen(t, w.st); n != 0 {
			t.Errorf("replay cache holds %d rows after the purge", n)
		}
	})
}

func TestSAMLIdPInitiated(t *testing.T) {
	t.Parallel()
	eachSAMLWorld(t, func(t *testing.T, w *samlWorld) {
		unsolicited := w.browse(t, w.srv.URL+"/start")
		initiated := func(idp IdP, form url.Values) error {
			return storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.SAMLIdPInitiated(ctx, tx, idp, samlBase, form)
				return err
			})
		}

		got := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (IdP, error) {
			return w.svc.SAMLIdPForResponse(ctx, tx, w.tenant, unsolicited.Get("SAMLResponse"))
		})
		if got.ID != w.idp.ID {
			t.Errorf("SAMLIdPForResponse = %s, want %s", got.ID, w.idp.ID)
		}

		if err := initiated(w.idp, unsolicited); !errors.Is(err, ErrInvalid) {
			t.Errorf("IdP-initiated by default = %v, want ErrInvalid", err)
		}
		on := w.idp
		on.Config.SAMLIdPInitiated = true
		var a Assertion
		err := storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) (err error) {
			a, err = w.svc.SAMLIdPInitiated(ctx, tx, on, samlBase, unsolicited)
			return err
		})
		if err != nil || a.Subject != "u-1234" || a.IdPID != w.idp.ID {
			t.Fatalf("IdP-initiated when enabled = %+v, %v", a, err)
		}
		if err := initiated(on, unsolicited); !errors.Is(err, errSAMLReplayed) {
			t.Errorf("IdP-initiated posted twice = %v, want a replay", err)
		}

		// An answer to a request is not an unsolicited response, nor the
		// other way round.
		pend, solicited := w.authorize(t)
		if err := initiated(on, solicited); !errors.Is(err, saml.ErrRequestIDMismatch) {
			t.Errorf("IdP-initiated with an InResponseTo = %v, want ErrRequestIDMismatch", err)
		}
		if _, err := w.exchange(t, w.svc, pend, w.browse(t, w.srv.URL+"/start")); !errors.Is(err, saml.ErrRequestIDMismatch) {
			t.Errorf("Exchange of an unsolicited response = %v, want ErrRequestIDMismatch", err)
		}

		off := on
		off.Enabled = false
		if err := initiated(off, unsolicited); !errors.Is(err, ErrNotFound) {
			t.Errorf("IdP-initiated through a disabled IdP = %v, want ErrNotFound", err)
		}
	})
}

func TestSAMLIdPForResponse(t *testing.T) {
	t.Parallel()
	eachSAMLWorld(t, func(t *testing.T, w *samlWorld) {
		_, form := w.authorize(t)
		resp := form.Get("SAMLResponse")
		lookup := func(tenantID, resp string) error {
			return storetest.Commit(t, w.st, func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.SAMLIdPForResponse(ctx, tx, tenantID, resp)
				return err
			})
		}
		other := w.newTenant(t, "other")
		if err := lookup(other, resp); !errors.Is(err, ErrNotFound) {
			t.Errorf("another tenant's lookup = %v, want ErrNotFound", err)
		}
		renamed := rewrite(t, form, func(resp *etree.Element) { child(t, resp, "Issuer").SetText("https://idp.other.test") })
		if err := lookup(w.tenant, renamed.Get("SAMLResponse")); !errors.Is(err, ErrNotFound) {
			t.Errorf("an unknown issuer = %v, want ErrNotFound", err)
		}
		if err := lookup(w.tenant, "bm90IFhNTA=="); !errors.Is(err, ErrInvalid) {
			t.Errorf("a response that is not XML = %v, want ErrInvalid", err)
		}
		w.must(t, func(ctx context.Context, tx store.Tx) error {
			_, err := w.svc.UpdateIdP(ctx, tx, w.tenant, w.idp.ID, IdPInput{Name: w.idp.Name, Kind: KindSAML, Enabled: false, Config: w.idp.Config})
			return err
		})
		if err := lookup(w.tenant, resp); !errors.Is(err, ErrNotFound) {
			t.Errorf("a disabled IdP's response = %v, want ErrNotFound", err)
		}
	})
}

func TestSAMLSPMetadata(t *testing.T) {
	t.Parallel()
	eachSAMLWorld(t, func(t *testing.T, w *samlWorld) {
		// A tenant whose key pair the metadata makes on first use.
		fresh := w.newTenant(t, "fresh")
		doc := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]byte, error) {
			return w.svc.SPMetadata(ctx, tx, fresh, samlBase)
		})
		var ed saml.EntityDescriptor
		if err := xml.Unmarshal(doc, &ed); err != nil {
			t.Fatalf("SP metadata does not parse: %v\n%s", err, doc)
		}
		cert := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (*x509.Certificate, error) {
			k, err := w.svc.samlKey(ctx, tx, fresh)
			if err != nil {
				return nil, err
			}
			return k.cert, nil
		})
		if ed.EntityID != samlBase+samlMetadataPath {
			t.Errorf("entity ID = %q", ed.EntityID)
		}
		if !ed.ValidUntil.Equal(samlT0.Add(7 * 24 * time.Hour)) {
			t.Errorf("validUntil = %s, want seven days on", ed.ValidUntil)
		}
		if len(ed.SPSSODescriptors) != 1 {
			t.Fatalf("%d SPSSODescriptors, want 1", len(ed.SPSSODescriptors))
		}
		sp := ed.SPSSODescriptors[0]
		if len(sp.AssertionConsumerServices) != 1 || sp.AssertionConsumerServices[0].Location != samlBase+samlACSPath ||
			sp.AssertionConsumerServices[0].Binding != saml.HTTPPostBinding {
			t.Errorf("ACS = %+v, want one HTTP-POST at %s", sp.AssertionConsumerServices, samlBase+samlACSPath)
		}
		if sp.AuthnRequestsSigned == nil || !*sp.AuthnRequestsSigned || sp.WantAssertionsSigned == nil || !*sp.WantAssertionsSigned {
			t.Errorf("AuthnRequestsSigned %v, WantAssertionsSigned %v, want both", sp.AuthnRequestsSigned, sp.WantAssertionsSigned)
		}
		if want := []saml.NameIDFormat{saml.PersistentNameIDFormat, saml.EmailAddressNameIDFormat}; !slices.Equal(sp.NameIDFormats, want) {
			t.Errorf("NameID formats = %q, want %q", sp.NameIDFormats, want)
		}
		uses := map[string]bool{}
		for _, k := range sp.KeyDescriptors {
			der, err := base64.StdEncoding.DecodeString(k.KeyInfo.X509Data.X509Certificates[0].Data)
			if err != nil || string(der) != string(cert.Raw) {
				t.Errorf("%s key is not the tenant's certificate", k.Use)
			}
			uses[k.Use] = true
		}
		if !uses["signing"] || !uses["encryption"] {
			t.Errorf("key uses = %v, want signing and encryption", uses)
		}
		if cn := cert.Subject.CommonName; cn != "Lintel SAML SP "+fresh {
			t.Errorf("certificate CN = %q", cn)
		}
		if d := cert.NotAfter.Sub(samlT0); d < 3649*24*time.Hour {
			t.Errorf("certificate valid for %s, want ten years", d)
		}

		// The key pair is the tenant's: the same on another node (which
		// opens it from the database), another tenant's is another.
		node2 := w.node(t, w.open(t))
		again := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]byte, error) {
			return node2.SPMetadata(ctx, tx, fresh, samlBase)
		})
		if certOf(t, again) != certOf(t, doc) || certOf(t, doc) == certOf(t, w.spMetadataDoc(t)) {
			t.Error("the tenant's SP metadata names another certificate on another node, or another tenant's")
		}
	})
}

func TestSAMLSPKeyRolledBack(t *testing.T) {
	t.Parallel()
	eachSAMLWorld(t, func(t *testing.T, w *samlWorld) {
		fresh := w.newTenant(t, "fresh")
		var lost []byte
		errRollback := errors.New("roll back")
		err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) (err error) {
			if lost, err = w.svc.SPMetadata(ctx, tx, fresh, samlBase); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatal(err)
		}
		// The key made in the rolled-back transaction was cached, but it
		// is not the tenant's: the next use makes and keeps another.
		var docs [2][]byte
		for i := range docs {
			docs[i] = storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) ([]byte, error) {
				return w.svc.SPMetadata(ctx, tx, fresh, samlBase)
			})
		}
		if certOf(t, docs[0]) == certOf(t, lost) || certOf(t, docs[1]) != certOf(t, docs[0]) {
			t.Error("a key of a rolled-back transaction outlived it")
		}
	})
}

func TestSAMLSPKeyConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	eachSAMLWorld(t, func(t *testing.T, w *samlWorld) {
		fresh := w.newTenant(t, "fresh")
		nodes := []*Service{w.svc, w.node(t, w.open(t))}
		docs := make([][]byte, len(nodes))
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, svc := range nodes {
			wg.Go(func() {
				errs[i] = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) (err error) {
					docs[i], err = svc.SPMetadata(ctx, tx, fresh, samlBase)
					return err
				})
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		certs := make([]string, len(docs))
		for i, doc := range docs {
			certs[i] = certOf(t, doc)
		}
		if certs[0] != certs[1] {
			t.Error("two first uses made two keys")
		}
		n := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (n int, err error) {
			err = tx.QueryRow(ctx, `SELECT COUNT(*) FROM saml_sp_keys WHERE tenant_id = ?`, fresh).Scan(&n)
			return n, err
		})
		if n != 1 {
			t.Errorf("%d key rows, want 1", n)
		}
	})
}

// forge returns a copy of a signed assertion naming u-evil, with a new ID
// unless keepSig (then it also keeps the Signature, as a wrapping attack
// that hopes the signature is found by ID does).
func forge(t *testing.T, signed *etree.Element, keepSig bool) *etree.Element {
	t.Helper()
	f := signed.Copy()
	if !keepSig {
		unsign(t, f)
		f.CreateAttr("ID", "id-forged")
	}
	child(t, child(t, f, "Subject"), "NameID").SetText("u-evil")
	return f
}

// certOf returns the signing certificate an SP metadata document names.
func certOf(t *testing.T, doc []byte) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		t.Fatal(err)
	}
	el := d.FindElement("//KeyDescriptor[@use='signing']//X509Certificate")
	if el == nil {
		t.Fatalf("no signing certificate in %s", doc)
	}
	return el.Text()
}

// seen counts the replay cache's rows.
func (w *samlWorld) seen(t *testing.T, st store.Store) int {
	t.Helper()
	return storetest.Get(t, st, func(ctx context.Context, tx store.Tx) (n int, err error) {
		err = tx.QueryRow(ctx, `SELECT COUNT(*) FROM saml_assertions_seen`).Scan(&n)
		return n, err
	})
}

// equalClaim compares a claim with what a test wants.
func equalClaim(got, want any) bool {
	if w, ok := want.([]any); ok {
		g, ok := got.([]any)
		return ok && slices.Equal(g, w)
	}
	return got == want
}
