package redisstore_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/redisstore"
	"github.com/scboauth/scboauth/internal/redistest"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// sourceOn returns the client-credentials TokenSource of app on the emulator at base, sharing
// through store, logging to logs.
func sourceOn(t *testing.T, base string, app sandbox.Application, store api.Store, logs *bytes.Buffer) *api.TokenSource {
	t.Helper()
	c, err := api.NewClient(api.Config{BaseURL: base, ApplicationKey: app.Key, ApplicationSecret: app.Secret, Store: store,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return c.TokenSource()
}

// TestWrongEncryptionKey: a process whose store has another encryption key than the one that
// wrote the token reads it as a miss, never as garbage: it logs the unreadable record, fetches
// its own token and writes it over; the other process then reads that one as a miss in turn.
func TestWrongEncryptionKey(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	_, hs := sandboxtest.NewServer(t)
	app := sandboxtest.Demo(sandbox.KindPlain)
	var logsA, logsB bytes.Buffer
	a := sourceOn(t, hs.URL, app, newStore(t, rdb, redisstore.Options{EncryptionKey: key32}), &logsA)
	b := sourceOn(t, hs.URL, app, newStore(t, rdb, redisstore.Options{EncryptionKey: []byte("another key of thirty-two bytes!")}), &logsB)
	ctx := t.Context()
	ta, err := a.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Token(ctx)
	if err != nil || !tb.Valid() || tb.AccessToken() == ta.AccessToken() {
		t.Fatalf("with the wrong key got %v, %v; want a token of its own", tb, err)
	}
	if s := b.Stats(); s.SharedHits != 0 || s.UpstreamFetches != 1 || s.Failures == 0 {
		t.Errorf("stats %+v, want the record counted unreadable, and one fetch", s)
	}
	for _, want := range []string{"token store record unreadable; treated as a miss", "does not decrypt: another encryption key"} {
		if !strings.Contains(logsB.String(), want) {
			t.Errorf("log %q, want %q", logsB.String(), want)
		}
	}
	if strings.Contains(logsB.String(), ta.AccessToken()) || strings.Contains(logsB.String(), tb.AccessToken()) {
		t.Errorf("log shows a token: %s", logsB.String())
	}
}

// TestTwoApplicationsOneStore: two applications on one Redis (and one store) keep separate
// records: each fetches its own token once, and a second process of each reads its own
// application's token, never the other's.
func TestTwoApplicationsOneStore(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	store := newStore(t, rdb, redisstore.Options{})
	_, hs := sandboxtest.NewServer(t)
	var logs bytes.Buffer
	plain, authcode := sandboxtest.Demo(sandbox.KindPlain), sandboxtest.Demo(sandbox.KindAuthorizationCode)
	ctx := t.Context()
	tokens := map[string]string{}
	for _, app := range []sandbox.Application{plain, authcode} {
		first, err := sourceOn(t, hs.URL, app, store, &logs).Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		second := sourceOn(t, hs.URL, app, store, &logs)
		if tok, err := second.Token(ctx); err != nil || tok.AccessToken() != first.AccessToken() || second.Stats().SharedHits != 1 {
			t.Fatalf("%s: the second process got %v, %v (%+v); want its application's token from the store", app.Name, tok, err, second.Stats())
		}
		tokens[app.Name] = first.AccessToken()
	}
	if tokens[plain.Name] == tokens[authcode.Name] {
		t.Fatal("two applications share a token")
	}
	if keys := rdb.Keys(ctx, redisstore.DefaultPrefix+"tok:*").Val(); len(keys) != 2 {
		t.Errorf("record keys %q, want one per application", keys)
	}
}
