package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scboauth/scboauth/sandbox"
)

// post sends a JSON body with SCB's standard headers and prints the answer.
func post(url, body string) []byte {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("resourceOwnerId", "l700000000000000000000000000000002")
	req.Header.Set("requestUId", "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d %s", resp.StatusCode, b)
	return b
}

// The emulator in process: a client-credentials token, with a fixed clock and predictable
// tokens so that the output is stable.
func Example() {
	var n atomic.Int64
	srv, err := sandbox.New(
		sandbox.WithClock(func() time.Time { return time.Unix(1_700_000_000, 0) }),
		sandbox.WithTokenGenerator(func() string { return fmt.Sprintf("token-%d", n.Add(1)) }),
	)
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	demo := sandbox.DemoApplications()[0] // demo-plain
	post(ts.URL+"/v1/oauth/token", `{"applicationKey":"`+demo.Key+`","applicationSecret":"`+demo.Secret+`"}`)
	post(ts.URL+"/v1/oauth/token", `{"applicationKey":"`+demo.Key+`","applicationSecret":"wrong"}`)
	// Output:
	// 200 {"status":{"code":1000,"description":"Success"},"data":{"accessToken":"token-1","tokenType":"Bearer","expiresIn":1800,"expiresAt":1700001800}}
	// 401 {"status":{"code":9500,"description":"Invalid authorization credentials"},"data":null}
}

// The authorization-code grant: authorize, the user's consent (here Server.Consent, over HTTP
// POST /sandbox/v1/consent), the token with the code, and a refresh.
func ExampleServer_Consent() {
	var n atomic.Int64
	srv, err := sandbox.New(
		sandbox.WithClock(func() time.Time { return time.Unix(1_700_000_000, 0) }),
		sandbox.WithTokenGenerator(func() string { return fmt.Sprintf("t%d", n.Add(1)) }),
	)
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	app := sandbox.DemoApplications()[1] // demo-authcode

	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/v2/oauth/authorize", nil)
	for k, v := range map[string]string{
		"apikey": app.Key, "apisecret": app.Secret, "resourceOwnerId": app.Key,
		"requestUId": "0123456789abcdef0123456789abcdef", "response-channel": "mobile", "endState": "mobile_app",
	} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	var cb struct {
		Data struct {
			CallbackURL string `json:"callbackUrl"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&cb); err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("callbackUrl:", cb.Data.CallbackURL)

	code, err := srv.Consent(cb.Data.CallbackURL, sandbox.Consent{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("authCode:", code)

	body := post(ts.URL+"/v1/oauth/token", `{"applicationKey":"`+app.Key+`","applicationSecret":"`+app.Secret+`","authCode":"`+code+`"}`)
	var tok struct {
		Data struct{ RefreshToken string } `json:"data"`
	}
	_ = json.Unmarshal(body, &tok)
	post(ts.URL+"/v1/oauth/token/refresh", `{"applicationKey":"`+app.Key+`","applicationSecret":"`+app.Secret+`","refreshToken":"`+tok.Data.RefreshToken+`"}`)
	post(ts.URL+"/v1/oauth/token/refresh", `{"applicationKey":"`+app.Key+`","applicationSecret":"`+app.Secret+`","refreshToken":"`+tok.Data.RefreshToken+`"}`)
	// Output:
	// callbackUrl: scbeasysim://login/t1
	// authCode: t2
	// 200 {"status":{"code":1000,"description":"Success"},"data":{"accessToken":"t3","tokenType":"Bearer","expiresIn":1800,"expiresAt":1700001800,"refreshToken":"t4","refreshExpiresIn":3600,"refreshExpiresAt":1700003600}}
	// 200 {"status":{"code":1000,"description":"Success"},"data":{"accessToken":"t5","tokenType":"Bearer","expiresIn":1800,"expiresAt":1700001800,"refreshToken":"t6","refreshExpiresIn":3600,"refreshExpiresAt":1700003600}}
	// 401 {"status":{"code":9300,"description":"Invalid/expired temporary token"},"data":null}
}
