package engine

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	emailtemplates "github.com/lintel-id/lintel/email-templates"
	"github.com/lintel-id/lintel/internal/useragent"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// devicePurpose separates device-ID hashes from other keyed hashes.
const devicePurpose = "engine.device"

// maxDevices bounds the devices remembered per user: a new one beyond it
// drops the least recently seen. Forgetting a device costs at most one
// needless notice, so the bound is about storage, not safety.
const maxDevices = 20

// Device IDs are what the edge's device cookie holds: 16 to 128
// characters of base64url. Anything else is ignored (no recognition).
const (
	minDeviceIDLen = 16
	maxDeviceIDLen = 128
)

// kindNewDevice is the mail kind of the new-device notice.
const kindNewDevice = "new-device"

// deviceMAC returns the keyed hash of a device ID as kept in a flow's
// state (base64url), "" when id is not a well-formed device ID. The ID
// itself is a bearer value and is never stored.
func (e *Engine) deviceMAC(id string) string {
	if len(id) < minDeviceIDLen || len(id) > maxDeviceIDLen {
		return ""
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return base64.RawURLEncoding.EncodeToString(e.Secrets.MAC(devicePurpose, []byte(id)))
}

// seenDevice records, in tx, that u completed a sign-in on the flow's
// device, and mails u a new-device notice when the account has been
// signed in to before from at least one known device and this one is not
// among them. A first-ever sign-in only records the device; a flow
// without a device ID (no cookie: an API client, cookies refused) records
// and sends nothing, for nothing tells the device apart.
func (e *Engine) seenDevice(ctx context.Context, tx store.Tx, f *flow, u directory.User) error {
	if f.State.Device == "" {
		return nil
	}
	mac, err := base64.RawURLEncoding.DecodeString(f.State.Device)
	if err != nil {
		return fmt.Errorf("engine: flow %s: device hash: %w", f.ID, err)
	}
	now := e.Clock.Now()
	summary := deviceSummary(useragent.From(ctx))
	n, err := tx.Exec(ctx, `UPDATE user_devices SET last_seen = ?, summary = ? WHERE tenant_id = ? AND user_id = ? AND device_mac = ?`,
		now, summary, f.TenantID, u.ID, mac)
	if err != nil {
		return fmt.Errorf("engine: update device: %w", err)
	}
	if n > 0 {
		return nil // a known device
	}
	var known int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM user_devices WHERE tenant_id = ? AND user_id = ?`, f.TenantID, u.ID).Scan(&known); err != nil {
		return fmt.Errorf("engine: count devices: %w", err)
	}
	// A concurrent sign-in on the same device may have recorded it
	// meanwhile: the first one tells.
	added, err := tx.Exec(ctx, `INSERT INTO user_devices (tenant_id, user_id, device_mac, summary, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, device_mac) DO NOTHING`, f.TenantID, u.ID, mac, summary, now, now)
	if err != nil {
		return fmt.Errorf("engine: record device: %w", err)
	}
	if added == 0 {
		return nil
	}
	if known >= maxDevices {
		if _, err := tx.Exec(ctx, `DELETE FROM user_devices WHERE tenant_id = ? AND user_id = ? AND device_mac IN
			(SELECT device_mac FROM user_devices WHERE tenant_id = ? AND user_id = ? ORDER BY last_seen, first_seen LIMIT ?)`,
			f.TenantID, u.ID, f.TenantID, u.ID, known+1-maxDevices); err != nil {
			return fmt.Errorf("engine: drop old devices: %w", err)
		}
	}
	if known == 0 {
		return nil // the first device the account is used on
	}
	v := emailtemplates.NewDeviceView{App: f.State.AppName, At: e.noticeTime(), IP: noticeIP(ctx), Device: summary}
	if link := f.State.Base + SecurityPath; strings.HasPrefix(link, "https://") {
		v.Link = link
	}
	return e.notify(ctx, tx, f, u, kindNewDevice, func(s *emailtemplates.Set, lang string, a emailtemplates.Audience) (emailtemplates.Rendered, error) {
		v.Audience = a
		return s.NewDevice(lang, v)
	})
}

// maxUserAgentScan bounds how much of a User-Agent deviceSummary reads.
const maxUserAgentScan = 512

// deviceSummary describes the browser and system a User-Agent names, in
// a few words of a fixed vocabulary ("Firefox on Linux", "Safari on
// iPhone", "Chrome"), "" when it names neither. The header is outside
// input: nothing of it is copied into the result, so the summary is
// safe to show and store.
func deviceSummary(ua string) string {
	if len(ua) > maxUserAgentScan {
		ua = ua[:maxUserAgentScan]
	}
	browser, system := uaBrowser(ua), uaSystem(ua)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	}
	return system
}

// uaBrowser names the browser of a User-Agent. Order matters: Edge,
// Opera and Samsung Internet also say Chrome and Safari; Chrome also
// says Safari.
func uaBrowser(ua string) string {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
		{"OPR/", "Opera"}, {"Opera", "Opera"},
		{"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
	} {
		if strings.Contains(ua, b.token) {
			return b.name
		}
	}
	if strings.Contains(ua, "Safari/") && strings.Contains(ua, "Version/") {
		return "Safari"
	}
	return ""
}

// uaSystem names the operating system (or the Apple device) of a
// User-Agent. Android says Linux, iOS says "like Mac OS X", ChromeOS
// says X11: the specific ones come first.
func uaSystem(ua string) string {
	for _, s := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"iPod", "iPod"},
		{"Android", "Android"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Macintosh", "macOS"}, {"Mac OS X", "macOS"},
		{"Linux", "Linux"}, {"FreeBSD", "FreeBSD"}, {"OpenBSD", "OpenBSD"},
	} {
		if strings.Contains(ua, s.token) {
			return s.name
		}
	}
	return ""
}
