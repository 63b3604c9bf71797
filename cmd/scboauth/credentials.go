package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scboauth/scboauth/api"
)

// credentials are the flags of an SCB application that token and contract share: the same
// names, variables and messages in both.
type credentials struct {
	key, secret, authCode string
	certFile, keyFile     string
}

// bindApplication binds the application's key and secret and an authorization code.
func bindApplication(f *flags, c *credentials, authCodeUsage string) {
	bindKeyAndSecret(f, c)
	f.Secret(&c.authCode, "auth-code", "SCB_AUTH_CODE", authCodeUsage)
}

// bindKeyAndSecret binds the application's key and secret.
func bindKeyAndSecret(f *flags, c *credentials) {
	f.String(&c.key, "application-key", "SCB_APPLICATION_KEY", "", "the application's API key")
	f.Secret(&c.secret, "application-secret", "SCB_APPLICATION_SECRET", "the application's API secret")
}

// bindClientCertificate binds the PEM files of a client certificate, for mutual TLS.
func bindClientCertificate(f *flags, c *credentials) {
	f.String(&c.certFile, "client-cert", "SCB_CLIENT_CERT", "", "PEM file of the client certificate, for mutual TLS (SCB's production requires one)")
	f.String(&c.keyFile, "client-key", "SCB_CLIENT_KEY", "", "PEM file of the client certificate's private key")
}

// check returns an error naming the flags when the key or the secret is missing, or when only
// one of the certificate's files is given.
func (c *credentials) check(f *flags) error {
	var missing []string
	if c.key == "" {
		missing = append(missing, f.Label("application-key"))
	}
	if c.secret == "" {
		missing = append(missing, f.Label("application-secret"))
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing the application's credentials: set %s", strings.Join(missing, " and "))
	}
	if (c.certFile == "") != (c.keyFile == "") {
		return fmt.Errorf("a client certificate needs both %s and %s", f.Label("client-cert"), f.Label("client-key"))
	}
	return nil
}

// caller is how the token and payment commands call SCB: where, with which application, for
// which resource owner and in which language, each attempt bounded by timeout.
type caller struct {
	credentials
	baseURL, owner, language string
	timeout                  time.Duration
}

// bindBaseURL binds the base URL of SCB's API.
func (c *caller) bindBaseURL(f *flags) {
	f.URL(&c.baseURL, "base-url", "SCB_BASE_URL", api.SandboxURL, "base URL of SCB's API (UAT "+api.UATURL+", production "+api.ProductionURL+") or of an emulator")
}

// bindOwnerAndLanguage binds the resourceOwnerId and accept-language headers.
func (c *caller) bindOwnerAndLanguage(f *flags) {
	f.String(&c.owner, "resource-owner-id", "SCB_RESOURCE_OWNER_ID", "", "resourceOwnerId header; empty sends the API key")
	f.Enum(&c.language, "language", "SCB_LANGUAGE", "", "accept-language of SCB's descriptions", "EN", "TH")
}

// client returns the client of c's application, each HTTP attempt bounded by c.timeout (at most
// api.DefaultTimeout); a Config the api refuses is an error naming the flag.
func (c *caller) client(f *flags) (*api.Client, error) {
	client, err := api.NewClient(api.Config{
		BaseURL:           c.baseURL,
		ApplicationKey:    c.key,
		ApplicationSecret: c.secret,
		ResourceOwnerID:   c.owner,
		Language:          api.Language(c.language),
		Timeout:           min(c.timeout, api.DefaultTimeout),
		CertFile:          c.certFile,
		KeyFile:           c.keyFile,
	})
	if err != nil {
		err, _ = configError(f, err)
	}
	return client, err
}

// configFlags maps the api.Config fields the token command sets to their flags.
var configFlags = map[string]string{
	"BaseURL":           "base-url",
	"ApplicationKey":    "application-key",
	"ApplicationSecret": "application-secret",
	"ResourceOwnerID":   "resource-owner-id",
	"Language":          "language",
	"Timeout":           "timeout",
	"Certificate":       "client-cert",
	"CertFile":          "client-cert",
	"KeyFile":           "client-key",
}

// configNames rewrites the Config fields that api.ConfigError reasons name into flags.
var configNames = func() *strings.Replacer {
	pairs := []string{"Certificate, or CertFile and KeyFile", "--client-cert and --client-key"}
	for field, flag := range configFlags {
		pairs = append(pairs, "Config."+field, "--"+flag)
	}
	return strings.NewReplacer(pairs...)
}()

// configError returns err with the flag named in place of the api.Config field when it is an
// *api.ConfigError, and ok true; it returns err and false for any other error.
func configError(f *flags, err error) (_ error, ok bool) {
	var ce *api.ConfigError
	if !errors.As(err, &ce) {
		return err, false
	}
	msg := configNames.Replace(ce.Reason)
	if ce.Err != nil {
		msg += ": " + ce.Err.Error()
	}
	name, known := configFlags[ce.Field]
	if !known { // a field no flag sets: say what is wrong, not the Go name
		return errors.New(msg), true
	}
	return fmt.Errorf("%s: %s", f.Label(name), msg), true
}
