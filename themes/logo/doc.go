// Package logo checks an uploaded brand logo and turns it into design-token
// proposals (Lintel issue 14, "Brand from logo").
//
// A logo is hostile input. [Read] sniffs the format from the bytes (never
// from a declared type), bounds the upload and the decoded area before any
// pixel is decoded, and rewrites SVG through [SanitizeSVG], a whitelist
// sanitiser whose output is what gets stored and served. From the pixels (or
// the SVG's paint attributes) it extracts the dominant brand colours in
// OKLab, and [Propose] turns them into light and dark token overrides that
// pass the WCAG 2.2 AA checks of package themes.
package logo
