package api

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// CallOption sets an optional parameter of one call, as x/oauth2's AuthCodeOption does: the
// state and code challenge of Exchange, the headers and query of AuthorizeURL. Each option
// says which calls take it; a call given an option it does not take fails, so that a misplaced
// parameter is never silently dropped. Everything that holds for all calls is in Config.
type CallOption func(*callParams)

// ExchangeOption is the option type Exchange took before CallOption.
//
// Deprecated: use CallOption.
type ExchangeOption = CallOption

// AuthorizeOption is the option type AuthorizeURL took before CallOption.
//
// Deprecated: use CallOption.
type AuthorizeOption = CallOption

// Values of the authorize call's response-channel and endState headers.
const (
	ChannelMobile     = "mobile"     // response-channel: the SCB app returns to a mobile app
	ChannelMobileMMA  = "mobile_mma" // response-channel: SCB's MMA flavour
	EndStateMobileApp = "mobile_app" // endState: the user ends in the partner's app
	EndStateMobileWeb = "mobile_web" // endState: the user ends in the partner's web page
)

// callParams holds the optional parameters of a call, and which options set them.
type callParams struct {
	set []string // the names of the options given, in order

	state, challenge string // Exchange

	channel, endState, applicationID, redirectOption string // AuthorizeURL
	query                                            url.Values

	userID  string // UserTokenSource
	userSet bool
}

func (p *callParams) with(name string, f func()) { p.set = append(p.set, name); f() }

// WithState sends the state of the current session with Exchange (web applications).
func WithState(state string) CallOption {
	return func(p *callParams) { p.with("WithState", func() { p.state = state }) }
}

// WithCodeChallenge sends the code challenge of the current session with Exchange, which SCB
// requires of web applications. It is a secret: it never appears in errors or logs.
func WithCodeChallenge(challenge string) CallOption {
	return func(p *callParams) { p.with("WithCodeChallenge", func() { p.challenge = challenge }) }
}

// WithResponseChannel sets AuthorizeURL's response-channel header: ChannelMobile (the default)
// or ChannelMobileMMA.
func WithResponseChannel(channel string) CallOption {
	return func(p *callParams) { p.with("WithResponseChannel", func() { p.channel = channel }) }
}

// WithEndState sets AuthorizeURL's endState header: EndStateMobileApp (the default) or
// EndStateMobileWeb.
func WithEndState(endState string) CallOption {
	return func(p *callParams) { p.with("WithEndState", func() { p.endState = endState }) }
}

// WithApplicationID sets AuthorizeURL's optional applicationId header.
func WithApplicationID(id string) CallOption {
	return func(p *callParams) { p.with("WithApplicationID", func() { p.applicationID = id }) }
}

// WithRedirectOption sets AuthorizeURL's optional redirectOption header.
func WithRedirectOption(option string) CallOption {
	return func(p *callParams) { p.with("WithRedirectOption", func() { p.redirectOption = option }) }
}

// WithRedirectParams adds query parameters to AuthorizeURL that SCB passes through to the
// partner's redirect URL: at most 255 characters encoded; code, state and status are reserved.
func WithRedirectParams(q url.Values) CallOption {
	return func(p *callParams) { p.with("WithRedirectParams", func() { p.query = q }) }
}

// WithUserID shares the pair of a UserTokenSource with the fleet through Config.Store, under
// id: the user's id in your system, or any stable value of your choosing (only its hash is
// kept). Without a Config.Store it has no effect. An empty id is an error.
func WithUserID(id string) CallOption {
	return func(p *callParams) { p.with("WithUserID", func() { p.userID, p.userSet = id, true }) }
}

// collect applies opts for the call op, which takes the options named in allowed.
func collect(op string, opts []CallOption, allowed ...string) (callParams, error) {
	var p callParams
	for _, opt := range opts {
		if opt != nil {
			opt(&p)
		}
	}
	for _, name := range p.set {
		if !slices.Contains(allowed, name) {
			return p, fmt.Errorf("api: %s: %s does not apply (it takes %s)", op, name, orNone(allowed))
		}
	}
	return p, nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no options"
	}
	return strings.Join(names, ", ")
}

// validateAuthorize checks the authorize call's parameters and fills in the default channel and end
// state; it returns the encoded query.
func (p *callParams) validateAuthorize() (rawQuery string, err error) {
	p.channel = cmp.Or(p.channel, ChannelMobile)
	p.endState = cmp.Or(p.endState, EndStateMobileApp)
	switch {
	case p.channel != ChannelMobile && p.channel != ChannelMobileMMA:
		return "", fmt.Errorf("api: authorize: response channel %q, want %q or %q", p.channel, ChannelMobile, ChannelMobileMMA)
	case p.endState != EndStateMobileApp && p.endState != EndStateMobileWeb:
		return "", fmt.Errorf("api: authorize: end state %q, want %q or %q", p.endState, EndStateMobileApp, EndStateMobileWeb)
	}
	for _, f := range []struct{ name, value string }{{"application id", p.applicationID}, {"redirect option", p.redirectOption}} {
		if strings.ContainsFunc(f.value, invisible) {
			return "", fmt.Errorf("api: authorize: %s contains control or invisible characters", f.name)
		}
	}
	if len(p.query) == 0 {
		return "", nil
	}
	for _, reserved := range []string{"code", "state", "status"} {
		if p.query.Has(reserved) {
			return "", fmt.Errorf("api: authorize: query parameter %q is reserved", reserved)
		}
	}
	rawQuery = p.query.Encode()
	if len(rawQuery) > 255 {
		return "", fmt.Errorf("api: authorize: query parameters are %d characters encoded, at most 255", len(rawQuery))
	}
	return rawQuery, nil
}
