package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/mail"
)

// mailInterval is how often lintel serve looks for mail to send: sign-in
// codes must arrive while the person waits.
const mailInterval = 2 * time.Second

// openMail makes the outgoing-mail parts of s: the outbox, the tenants'
// relays with the instance default from c, and the sender that routes
// between them through the egress dialer. It needs s.store, s.secrets,
// s.egress, s.clock and s.log.
func (s *system) openMail(c settings.Config) error {
	var instance mail.Relay
	if c.Mail.SMTP.Host != "" {
		instance = mail.Relay{Host: c.Mail.SMTP.Host, Port: c.MailSMTPPort(), Username: c.Mail.SMTP.Username,
			Password: c.Mail.SMTP.Password, TLS: mail.TLSPolicy(c.Mail.SMTP.TLS), From: c.Mail.From}
	}
	var err error
	s.mailSettings, err = mail.NewSettings(s.store, s.secrets, s.clock, mail.SettingsOptions{Instance: instance, Egress: s.egress})
	if err != nil {
		return fmt.Errorf("mail settings: %w", err)
	}
	s.mail = mail.New(s.store, s.clock, mail.Options{Logger: s.log})
	// Brands' senders sign their mail with DKIM; their records are looked
	// up through dns.resolver, as the custom domains' are.
	senderOpts := mail.BrandSendersOptions{Logger: s.log}
	if r := dnsResolver(c); r != nil {
		senderOpts.Resolver = r
	}
	s.brandSenders = mail.NewBrandSenders(s.mailSettings, senderOpts)
	s.mailSender = mail.NewRouter(s.mailSettings, s.egress, mail.RouterOptions{Senders: s.brandSenders})
	s.mailRetention = c.MailRetention()
	return nil
}

// runMail delivers the outbox every mailInterval until ctx ends or stop is
// called. stop returns once the worker has stopped: a send in flight is
// interrupted and its outcome recorded (an interrupted message goes out
// again once its lease expires).
func (s *system) runMail(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	ticker := time.NewTicker(mailInterval)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer ticker.Stop()
		if err := s.mail.Run(ctx, s.mailSender, ticker.C); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("mail delivery stopped", "err", err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}

// purgeMail deletes delivered and dead mail older than mail.retention.
func (s *system) purgeMail(ctx context.Context) {
	if n, err := s.mail.Purge(ctx, s.mailRetention); err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "housekeeping: mail", "err", err)
	} else if n > 0 {
		s.log.InfoContext(ctx, "housekeeping: sent mail purged", "deleted", n)
	}
}
