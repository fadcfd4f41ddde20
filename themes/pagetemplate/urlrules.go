package pagetemplate

import (
	"strings"

	"golang.org/x/net/html"
)

// url checks a URL attribute of n by what n does with it: a link may go
// anywhere a person could type, a resource loads only from the brand's
// origins, everything else must at least be https.
func (c *checker) url(n *html.Node, a html.Attribute, l int) {
	switch {
	case n.Data == "link" && a.Key == "href":
		// link checks it by rel.
	case (n.Data == "a" || n.Data == "area") && a.Key == "href":
		c.navigation(n, a, l)
	case n.Data == "script" && a.Key == "src":
		c.onOrigin(n, a.Key, a.Val, l, c.script, "script")
	case n.Data == "img" && a.Key == "src", a.Key == "background", a.Key == "poster":
		c.image(n, a.Key, a.Val, l)
	case a.Key == "srcset" || a.Key == "imagesrcset":
		for _, u := range srcsetURLs(a.Val) {
			if n.Data == "img" || n.Data == "source" {
				c.image(n, a.Key, u, l)
			} else {
				c.https(n, a.Key, u, l)
			}
		}
	case a.Key == "ping":
		for _, u := range strings.Fields(a.Val) {
			c.https(n, a.Key, u, l)
		}
	default:
		c.https(n, a.Key, a.Val, l)
	}
}

// scriptScheme says why a javascript:, vbscript: or data: URL is refused,
// or "" for any other.
func scriptScheme(scheme string) string {
	switch scheme {
	case "javascript", "vbscript":
		return scheme + ": URLs are not allowed: scripts run only from the brand's script origins"
	case "data":
		return "data: URLs are allowed only for PNG, JPEG, GIF and WebP images in <img>"
	}
	return ""
}

// navigation checks the href of <a> or <area>: https, mailto: or a
// relative path on Lintel's own host.
func (c *checker) navigation(n *html.Node, a html.Attribute, l int) {
	u := cleanURL(a.Val)
	scheme := schemeOf(u)
	if why := scriptScheme(scheme); why != "" {
		c.ps.add(l, "<%s %s=%s>: %s", n.Data, a.Key, short(a.Val), why)
		return
	}
	switch scheme {
	case "", "mailto":
	case "https":
		if _, ok := httpsOrigin(u); !ok {
			c.ps.add(l, "<%s %s=%s> is not a valid https URL", n.Data, a.Key, short(a.Val))
		}
	default:
		c.ps.add(l, "<%s %s=%s>: links must be https, mailto: or a relative path", n.Data, a.Key, short(a.Val))
	}
}

// https checks a URL that must be absolute https, on any host.
func (c *checker) https(n *html.Node, key, v string, l int) {
	u := cleanURL(v)
	if why := scriptScheme(schemeOf(u)); why != "" {
		c.ps.add(l, "<%s %s=%s>: %s", n.Data, key, short(v), why)
		return
	}
	if _, ok := httpsOrigin(u); !ok {
		c.ps.add(l, "<%s %s=%s> must be an absolute https URL", n.Data, key, short(v))
	}
}

// onOrigin checks a URL that must be absolute https on one of set, the
// brand's kind ("style", "script") origins.
func (c *checker) onOrigin(n *html.Node, key, v string, l int, set *origins, kind string) {
	u := cleanURL(v)
	if why := scriptScheme(schemeOf(u)); why != "" {
		c.ps.add(l, "<%s %s=%s>: %s", n.Data, key, short(v), why)
		return
	}
	origin, ok := httpsOrigin(u)
	switch {
	case !ok:
		c.ps.add(l, "<%s %s=%s> must be an absolute https URL on one of the brand's %s origins (%s)", n.Data, key, short(v), kind, set)
	case !set.has(origin):
		c.ps.add(l, "<%s %s=%s>: %s is not one of the brand's %s origins (%s)", n.Data, key, short(v), origin, kind, set)
	}
}

// image checks an image URL (<img src>, srcset, background, poster, an
// icon): https on a style origin, where the brand's assets live and which
// the policy's img-src allows, or a data: URL of a raster image, which
// cannot run anything.
func (c *checker) image(n *html.Node, key, v string, l int) {
	u := cleanURL(v)
	if dataImage(u) {
		return
	}
	c.onOrigin(n, key, v, l, c.style, "style")
}
