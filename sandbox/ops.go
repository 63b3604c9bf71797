package sandbox

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// callbackPrefix starts the callbackUrl of an authorize answer, as in SCB's sandbox [seen].
const callbackPrefix = "scbeasysim://login/"

// Errors of Consent.
var (
	// ErrUnknownCallback is returned by Consent for a callbackUrl that no authorize call
	// returned, that was consented to already, or whose consent window (Lifetimes.Consent)
	// has passed. The consent endpoint answers it 404 1104.
	ErrUnknownCallback = errors.New("sandbox: unknown, used or expired callbackUrl")
	// ErrCodeChallengeRequired is returned by Consent for a web application's callbackUrl
	// without a code challenge. The consent endpoint answers it 400 1101.
	ErrCodeChallengeRequired = errors.New("sandbox: a web application's consent needs a codeChallenge")
	// ErrStateTooLong is returned by Consent for a state longer than MaxStateBytes. The consent
	// endpoint answers it 400 1102.
	ErrStateTooLong = errors.New("sandbox: a consent's state is longer than MaxStateBytes")
	// ErrInvalidUser is returned by Consent for a user longer than MaxUserBytes or with a
	// control or format character. The consent endpoint answers it 400 1102.
	ErrInvalidUser = errors.New("sandbox: a consent's user is longer than MaxUserBytes or not printable")
)

// MaxUserBytes bounds Consent.User [decision].
const MaxUserBytes = 256

// DefaultUser is the user of a consent that names none.
const DefaultUser = "sandbox-user"

// ResourceOwnerID returns the resourceOwnerId header the emulator answers on the
// authorization-code grant, and on the refreshes of its tokens, for a consent given by user
// (DefaultUser when empty): a stable identifier of the user, not of the application, as SCB's
// documentation implies when it tells clients to send the value on later user-specific calls
// ("a hash of the user's id"). It is the first 16 bytes of SHA-256("scboauth-sandbox-user:" +
// user), in lower-case hex: 32 characters [decision]. On the client-credentials grant, which
// acts for no user, the emulator echoes the request's resourceOwnerId.
func ResourceOwnerID(user string) string {
	if user == "" {
		user = DefaultUser
	}
	h := sha256.Sum256([]byte("scboauth-sandbox-user:" + user))
	return hex.EncodeToString(h[:16])
}

// MaxStateBytes bounds a consent's state, the one value of a client that the emulator keeps
// (with the code, until it is traded or expires) [decision]: the consent endpoint is the
// emulator's own, not SCB's.
const MaxStateBytes = 1024

// Consent is what the user's consent binds the authorization code to.
type Consent struct {
	State         string // echoed back; a web application's token request must repeat it when set
	CodeChallenge string // a web application's token request must present the same value
	User          string // who consents (DefaultUser when empty); the token's resourceOwnerId derives from it (ResourceOwnerID)
}

// Consent completes the user's consent for the callbackUrl an authorize call returned, as the SCB
// app would, and returns the authorization code (valid Lifetimes.AuthCode, single use), bound to
// the given state (at most MaxStateBytes) and codeChallenge (a web application must present the
// same codeChallenge). The callbackUrl can be consented to once.
func (s *Server) Consent(callbackURL string, c Consent) (authCode string, err error) {
	if len(c.State) > MaxStateBytes {
		return "", ErrStateTooLong
	}
	if len(c.User) > MaxUserBytes || !printable(c.User) {
		return "", ErrInvalidUser
	}
	id := strings.TrimPrefix(callbackURL, callbackPrefix)
	now := s.now()
	s.mu.Lock()
	g, e := take(&s.consents, id, now, func(g grant) *apiError {
		if g.app.Kind == KindWeb && c.CodeChallenge == "" {
			err = ErrCodeChallengeRequired
			return errMissingParams
		}
		return nil
	}, errNotFound)
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	if e != nil {
		return "", ErrUnknownCallback
	}
	code := s.next() // outside the lock: the generator is the caller's code
	cg := grant{app: g.app, expires: now.Add(s.lifetimes.AuthCode), state: strings.Clone(c.State), owner: ResourceOwnerID(c.User)}
	if c.CodeChallenge != "" {
		cg.hasChallenge, cg.challengeHash = true, sha256.Sum256([]byte(c.CodeChallenge))
	}
	s.mu.Lock()
	s.store(&s.codes, code, cg, now)
	s.mu.Unlock()
	return code, nil
}

// operations implements the generated strict server interface.
type operations struct{ s *Server }

var _ generated.StrictServerInterface = operations{}

// CreateToken issues a token: client-credentials without authCode, authorization-code with it.
func (o operations) CreateToken(_ context.Context, req generated.CreateTokenRequestObject) (generated.CreateTokenResponseObject, error) {
	s, b := o.s, req.Body
	a, answer := s.authenticate(b.ApplicationKey, b.ApplicationSecret, pathToken, errCredentials)
	if answer != nil {
		return answer, nil
	}
	now := s.now()
	t := &tokenResponse{owner: req.Params.ResourceOwnerId, app: a.Name}
	if b.AuthCode == nil {
		t.access = s.next()
		t.expiresIn = seconds(s.lifetimes.AccessToken)
		t.expiresAt = now.Unix() + t.expiresIn
		s.mu.Lock()
		s.store(&s.tokens, t.access, grant{app: a, expires: now.Add(s.lifetimes.AccessToken)}, now)
		s.mu.Unlock()
		return t, nil
	}
	if a.Kind == KindPlain {
		return forApp{errForbidden, a.Name}, nil
	}
	var challenge []byte
	if a.Kind == KindWeb {
		if b.CodeChallenge == nil {
			return forApp{errChallengeRequired, a.Name}, nil
		}
		challenge = []byte(*b.CodeChallenge)
	}
	s.mu.Lock()
	g, e := take(&s.codes, *b.AuthCode, now, func(g grant) *apiError {
		if g.app != a {
			return errInvalidCode
		}
		if a.Kind != KindWeb {
			return nil
		}
		h := sha256.Sum256(challenge)
		if !g.hasChallenge || subtle.ConstantTimeCompare(h[:], g.challengeHash[:]) != 1 {
			return errChallengeRequired
		}
		if g.state != "" && (b.State == nil || *b.State != g.state) {
			return errInvalidCode
		}
		return nil
	}, errInvalidCode)
	s.mu.Unlock()
	if e != nil {
		return forApp{e, a.Name}, nil
	}
	t.owner = g.owner
	s.issueRefresh(t, a, now)
	return t, nil
}

// RefreshToken redeems a refresh token for a new pair; the old refresh token is spent.
func (o operations) RefreshToken(_ context.Context, req generated.RefreshTokenRequestObject) (generated.RefreshTokenResponseObject, error) {
	s, b := o.s, req.Body
	a, answer := s.authenticate(b.ApplicationKey, b.ApplicationSecret, pathRefresh, errCredentials)
	if answer != nil {
		return answer, nil
	}
	if a.Kind == KindPlain {
		return forApp{errForbidden, a.Name}, nil
	}
	now := s.now()
	t := &tokenResponse{owner: req.Params.ResourceOwnerId, app: a.Name}
	s.mu.Lock()
	g, e := take(&s.refreshes, b.RefreshToken, now, func(g grant) *apiError {
		if g.app != a {
			return errInvalidRefresh
		}
		return nil
	}, errInvalidRefresh)
	s.mu.Unlock()
	if e != nil {
		return forApp{e, a.Name}, nil
	}
	t.owner = g.owner
	s.issueRefresh(t, a, now)
	return t, nil
}

// issueRefresh completes t as an authorization-code grant: a new access token and a new
// refresh token, which it stores.
func (s *Server) issueRefresh(t *tokenResponse, a *app, now time.Time) {
	t.access, t.refresh = s.next(), s.next()
	t.expiresIn = seconds(s.lifetimes.AccessToken)
	t.expiresAt = now.Unix() + t.expiresIn
	t.refreshIn = seconds(s.lifetimes.RefreshToken)
	t.refreshAt = now.Unix() + t.refreshIn
	s.mu.Lock()
	s.store(&s.tokens, t.access, grant{app: a, expires: now.Add(s.lifetimes.AccessToken), owner: t.owner}, now)
	s.store(&s.refreshes, t.refresh, grant{app: a, expires: now.Add(s.lifetimes.RefreshToken), owner: t.owner}, now)
	s.mu.Unlock()
}

// Authorize starts a consent: it answers the callbackUrl that Consent (or the consent
// endpoint) completes.
func (o operations) Authorize(_ context.Context, req generated.AuthorizeRequestObject) (generated.AuthorizeResponseObject, error) {
	s, p := o.s, req.Params
	a, answer := s.authenticate(p.Apikey, p.Apisecret, pathAuthorize, errInvalidAPIKey)
	if answer != nil {
		return answer, nil
	}
	if a.Kind == KindPlain {
		return forApp{errForbidden, a.Name}, nil
	}
	id := s.next()
	now := s.now()
	s.mu.Lock()
	s.store(&s.consents, id, grant{app: a, expires: now.Add(s.lifetimes.Consent)}, now)
	s.mu.Unlock()
	return callbackResponse{url: callbackPrefix + id, app: a.Name}, nil
}
