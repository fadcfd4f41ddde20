package edge

import (
	"net/http"
)

// deviceCookieName names the cookie that tells a browser apart from the
// others an account is signed in from (__Host- prefixed on HTTPS).
const deviceCookieName = "lintel-device"

// deviceCookieAge is how long a browser keeps its device ID: two years,
// renewed on every sign-in page, so that a browser used now and then is
// still recognised.
const deviceCookieAge = 2 * 365 * 24 * 60 * 60

// deviceID returns the browser's device ID, the value of its device
// cookie, giving it a new random one (set on w) when it has none or one
// that is not a device ID; fresh tells the ID was made now. The ID only
// tells the engine whether an account has been used on this browser
// before (to mail its holder when not); it is HttpOnly, Secure on HTTPS
// and SameSite=Lax, and the engine stores only its keyed hash, for
// whoever holds it is that device.
func deviceID(w http.ResponseWriter, r *http.Request, site Site) (id string, fresh bool) {
	if id := readCookie(r, site.Secure, deviceCookieName); validDeviceID(id) {
		return id, false
	}
	id = randomToken()
	setCookie(w, site.Secure, deviceCookieName, id, deviceCookieAge)
	return id, true
}

// knownDeviceID is deviceID for the flow API: a widget on another site
// cannot keep a SameSite=Lax cookie, so an ID made now would be new on
// every sign-in and mail the account's holder each time. Only an ID the
// browser sent counts there ("" otherwise); the hosted pages, first
// party, count a fresh one too.
func knownDeviceID(w http.ResponseWriter, r *http.Request, site Site) string {
	if id, fresh := deviceID(w, r, site); !fresh {
		return id
	}
	return ""
}

// validDeviceID reports whether v is a device ID as deviceID makes them:
// 43 characters of base64url (32 random bytes).
func validDeviceID(v string) bool {
	if len(v) != 43 {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// hostedDeviceID is deviceID for the hosted pages: a fresh ID counts,
// for the browser keeps it (a new browser's first sign-in is exactly the
// one to tell the account's holder about).
func hostedDeviceID(w http.ResponseWriter, r *http.Request, site Site) string {
	id, _ := deviceID(w, r, site)
	return id
}
