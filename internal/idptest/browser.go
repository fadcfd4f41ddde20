package idptest

import (
	"fmt"
	"html"
	"io"
	"net/url"
	"regexp"
)

// formFields read the form page of a form_post answer, which this package
// writes itself.
var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// SignIn plays the browser at the provider: it opens authURL (an
// authorization request the client built) and returns where the provider
// sends the browser back and with what — the redirect's URL without its
// query and the query, or for form_post the form's action and fields.
func (p *Provider) SignIn(authURL string) (callback string, params url.Values, err error) {
	resp, err := p.Client().Get(authURL)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", nil, err
	}
	switch resp.StatusCode {
	case 302:
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			return "", nil, err
		}
		params = loc.Query()
		loc.RawQuery = ""
		return loc.String(), params, nil
	case 200:
		m := formAction.FindSubmatch(body)
		if m == nil {
			return "", nil, fmt.Errorf("idptest: the answer is neither a redirect nor a form: %.200s", body)
		}
		params = url.Values{}
		for _, in := range formInput.FindAllSubmatch(body, -1) {
			params.Add(html.UnescapeString(string(in[1])), html.UnescapeString(string(in[2])))
		}
		return html.UnescapeString(string(m[1])), params, nil
	}
	return "", nil, fmt.Errorf("idptest: authorize answered %s: %.200s", resp.Status, body)
}
