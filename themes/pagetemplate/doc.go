// Package pagetemplate holds a brand's own HTML page around Lintel's
// sign-in form: a designer uploads a whole page (as in Okta's hosted
// sign-in page editor) with <lintel-slot name="…"></lintel-slot> markers
// where Lintel renders its parts:
//
//   - head (optional, once, inside <head>): Lintel's stylesheet, theme
//     style and scripts; without it they go at the end of <head>;
//   - form (required, once, inside <body>): the sign-in card;
//   - footer (optional, once, inside <body>): Lintel's footer line;
//   - logo (optional, once, inside <body>): the brand's logo image.
//
// A slot may be written empty (<lintel-slot name="form"></lintel-slot>) or
// self-closing (<lintel-slot name="form"/>); it takes no other attribute.
//
// Nothing runs on the server: the page is parsed with golang.org/x/net/html
// and re-serialised, never executed by a template language, so a page can
// neither read Lintel's data nor loop, include or call anything. The page is
// tenant-supplied content, which DESIGN.md treats as untrusted code.
//
// The page is served under Lintel's strict Content-Security-Policy, where
// inline scripts, event-handler attributes and style attributes would not
// run. Compile refuses them when the page is saved, with an error that names
// each problem and its line, rather than let a designer ship a page that
// breaks silently. It refuses:
//
//   - inline <script> and <script> without src, and <script src> off the
//     brand's script origins (an absolute https URL is required);
//   - on* event-handler attributes and style attributes;
//   - <link rel=stylesheet> off the brand's style origins, <link> with a rel
//     other than stylesheet, icon (or "shortcut icon") and preconnect (to
//     the brand's origins only);
//   - <base> and <meta http-equiv>, which would redirect the page's links
//     or the whole page, and a <meta charset> other than UTF-8;
//   - <iframe>, <frame>, <frameset>, <object>, <embed>, <applet>, <portal>,
//     <fencedframe>, and <form>, <input>, <button>, <textarea>, <select>,
//     <keygen>: Lintel owns every form on the page, so a page cannot
//     collect a password itself;
//   - <noscript>, <noembed>, <noframes>, <xmp> and <plaintext>, whose
//     contents browsers read in two ways (a <noscript> form would show to
//     people with JavaScript off, unchecked);
//   - URL attributes (href, src, srcset, action, formaction, poster,
//     background, xlink:href, ping, cite and the legacy ones) other than
//     https, and javascript:, data: and vbscript: URLs: <a href> may also be
//     relative or mailto:, an image (<img src>, srcset, background,
//     poster, a <link rel=icon>) must be https on a style origin or a
//     data: URL of a PNG, JPEG, GIF or WebP image;
//   - <svg> and <math>, whose foreign content the HTML parser reads by
//     other rules (use <img>);
//   - the text __LINTEL_ in any case, which Lintel reserves for its own
//     markers;
//   - markup that a browser would read differently from Lintel: the page
//     is re-serialised and parsed again, and must come back the same.
//
// <style> elements are allowed: their CSS is the brand's, on the brand's own
// page, and each gets the request's nonce.
//
// A fragment without <html>, <head> or <body> is accepted: the HTML parser
// adds them, as a browser would. The page always gets <!DOCTYPE html> (a
// legacy doctype would put browsers in quirks mode and break Lintel's CSS).
package pagetemplate
