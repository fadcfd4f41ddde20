package wire

import (
	"slices"
	"strings"
	"time"
)

// The structs encoding/json writes the protocol from, with no omitempty on
// lists and objects: they come out as null and {}.
type (
	jsonFlow struct {
		ID        string        `json:"id"`
		ExpiresAt *time.Time    `json:"expires_at"` // nil is null: absent
		Step      string        `json:"step"`
		Fields    []jsonField   `json:"fields"`
		Actions   []jsonAction  `json:"actions"`
		Messages  []jsonMessage `json:"messages"`
		Context   jsonContext   `json:"context"`
		Redirect  string        `json:"redirect"`
	}
	jsonField struct {
		Name        string            `json:"name"`
		Type        string            `json:"type"`
		Label       string            `json:"label"`
		LabelParams map[string]string `json:"label_params"`
		Required    bool              `json:"required"`
		Secret      bool              `json:"secret"`
		Value       string            `json:"value,omitempty"`
		Options     []jsonOption      `json:"options"`
		Constraints jsonConstraints   `json:"constraints"`
	}
	jsonOption struct {
		Value string `json:"value"`
		Label string `json:"label"`
	}
	jsonAction struct {
		Name        string            `json:"name"`
		Method      string            `json:"method"`
		Href        string            `json:"href"`
		Label       string            `json:"label"`
		LabelParams map[string]string `json:"label_params"`
		Primary     bool              `json:"primary"`
	}
	jsonApp struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	jsonConstraints struct {
		MinLength    int    `json:"min_length"`
		MaxLength    int    `json:"max_length"`
		Pattern      string `json:"pattern"`
		Autocomplete string `json:"autocomplete"`
		InputMode    string `json:"input_mode"`
	}
	jsonMessage struct {
		ID     string            `json:"id"`
		Params map[string]string `json:"params"`
		Level  string            `json:"level"`
		Field  string            `json:"field"`
	}
	jsonContext struct {
		App      jsonApp `json:"app"`
		Brand    string  `json:"brand"`
		UserHint string  `json:"user_hint"`
		Locale   string  `json:"locale"`
		Dir      string  `json:"dir"`
	}
	jsonStart struct {
		ClientID            string `json:"client_id"`
		RedirectURI         string `json:"redirect_uri,omitempty"`
		Scope               string `json:"scope"`
		State               string `json:"state"`
		Nonce               string `json:"nonce"`
		CodeChallenge       string `json:"code_challenge"`
		CodeChallengeMethod string `json:"code_challenge_method"`
		LoginHint           string `json:"login_hint"`
		UILocales           string `json:"ui_locales"`
		Prompt              string `json:"prompt"`
		ACRValues           string `json:"acr_values"`
		Server              string `json:"authorization_server"`
	}
	jsonContinue struct {
		Action string            `json:"action"`
		Values map[string]string `json:"values"`
	}
)

func paramMap(ps []Param) map[string]string {
	if ps == nil {
		return nil
	}
	m := map[string]string{}
	for _, p := range ps {
		m[p.Name] = p.Value
	}
	return m
}

// sortParams puts ps in the order encoding/json writes a map.
func sortParams(ps []Param) {
	slices.SortFunc(ps, func(a, b Param) int { return strings.Compare(a.Name, b.Name) })
}

func mirrorFlow(f Flow, zone *time.Location, nsec int) jsonFlow {
	j := jsonFlow{ID: f.ID, Step: string(f.Step), Redirect: f.Redirect,
		Context: jsonContext{App: jsonApp(f.Context.App), Brand: f.Context.Brand, UserHint: f.Context.UserHint, Locale: f.Context.Locale, Dir: f.Context.Dir}}
	if f.ExpiresAt != 0 {
		t := time.Unix(f.ExpiresAt, int64(nsec)).In(zone)
		j.ExpiresAt = &t
	}
	for _, a := range f.Actions {
		j.Actions = append(j.Actions, jsonAction{Name: a.Name, Method: a.Method, Href: a.Href, Label: a.Label,
			LabelParams: paramMap(a.LabelParams), Primary: a.Primary})
	}
	for _, x := range f.Fields {
		var options []jsonOption
		for _, o := range x.Options {
			options = append(options, jsonOption(o))
		}
		j.Fields = append(j.Fields, jsonField{Name: x.Name, Type: string(x.Type), Label: x.Label, LabelParams: paramMap(x.LabelParams), Required: x.Required,
			Secret: x.Secret, Value: x.Value, Options: options,
			Constraints: jsonConstraints(x.Constraints)})
	}
	for _, m := range f.Messages {
		j.Messages = append(j.Messages, jsonMessage{ID: m.ID, Params: paramMap(m.Params), Level: m.Level, Field: m.Field})
	}
	return j
}
