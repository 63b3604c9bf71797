package main

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// TestWaitPaid: in fake time, the wait reads at once and then every interval, ends at the
// first status other than pending (paid: no error), and when the context ends (a read it cuts
// short included) returns the last transaction with errStillPending; a read's own error ends it
// with no transaction.
func TestWaitPaid(t *testing.T) {
	const interval = 3 * time.Second
	failed := errors.New("boom")
	const block = api.TransactionStatus(-99) // the read waits for the context to end
	tests := []struct {
		name      string
		statuses  []api.TransactionStatus // what each read returns; the last repeats; -100 is failed
		reads     []time.Duration         // when each read starts
		want      api.TransactionStatus   // of the transaction returned; -100 for none
		wantErr   string
		wantEnded time.Duration
	}{
		{"paid at the third read", []api.TransactionStatus{api.StatusPending, api.StatusPending, api.StatusPaid},
			[]time.Duration{0, 3 * time.Second, 6 * time.Second}, api.StatusPaid, "", 6 * time.Second},
		{"paid at once", []api.TransactionStatus{api.StatusPaid}, []time.Duration{0}, api.StatusPaid, "", 0},
		{"expired", []api.TransactionStatus{api.StatusPending, api.StatusExpired},
			[]time.Duration{0, 3 * time.Second}, api.StatusExpired, "the transaction is expired, not paid", 3 * time.Second},
		{"no status", []api.TransactionStatus{api.StatusUnknown}, []time.Duration{0}, api.StatusUnknown, "the transaction is unknown, not paid", 0},
		{"a status of SCB's own", []api.TransactionStatus{7}, []time.Duration{0}, 7, "the transaction is status 7, not paid", 0},
		{"still pending at the deadline", []api.TransactionStatus{api.StatusPending},
			[]time.Duration{0, 3 * time.Second, 6 * time.Second, 9 * time.Second}, api.StatusPending, "still pending", 10 * time.Second},
		{"a read cut short by the deadline", []api.TransactionStatus{api.StatusPending, api.StatusPending, api.StatusPending, block},
			[]time.Duration{0, 3 * time.Second, 6 * time.Second, 9 * time.Second}, api.StatusPending, "still pending", 10 * time.Second},
		{"the first read fails", []api.TransactionStatus{-100}, []time.Duration{0}, -100, "boom", 0},
		{"a later read fails", []api.TransactionStatus{api.StatusPending, -100}, []time.Duration{0, 3 * time.Second}, -100, "boom", 3 * time.Second},
		{"the first read cut short", []api.TransactionStatus{block}, []time.Duration{0}, -100, context.DeadlineExceeded.Error(), 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				var reads []time.Duration
				read := func(ctx context.Context) (*api.Transaction, error) {
					s := tt.statuses[min(len(reads), len(tt.statuses)-1)]
					reads = append(reads, time.Since(start))
					switch s {
					case -100:
						return nil, failed
					case block:
						<-ctx.Done()
						return nil, ctx.Err()
					}
					return &api.Transaction{ID: "x", Status: s}, nil
				}
				tx, err := waitPaid(ctx, read, interval)
				if !reflect.DeepEqual(reads, tt.reads) {
					t.Errorf("read at %v, want %v", reads, tt.reads)
				}
				if got := time.Since(start); got != tt.wantEnded {
					t.Errorf("ended after %v, want %v", got, tt.wantEnded)
				}
				switch {
				case tt.want == -100 && tx != nil:
					t.Errorf("got %+v, want no transaction", tx)
				case tt.want != -100 && (tx == nil || tx.Status != tt.want):
					t.Errorf("got %+v, want status %v", tx, tt.want)
				}
				if (err == nil) != (tt.wantErr == "") || err != nil && err.Error() != tt.wantErr {
					t.Errorf("got error %v, want %q", err, tt.wantErr)
				}
			})
		})
	}
}

// TestPaymentOutputEscapes: a value that would hide or reorder text on a terminal (escape
// sequences, CR LF, bidirectional overrides, invisible characters beyond U+FFFF) is escaped in
// text and in JSON, which still decodes to the value itself; HTML characters and Thai are
// printed as they are.
func TestPaymentOutputEscapes(t *testing.T) {
	slip := &api.Slip{
		TransRef: "x\x1b[2Jy", Ref1: "a\r\nInjected: b", Ref2: "\U000E0001tag\u2028", Ref3: "ok & <b> ข้าว",
		Sender: api.Party{DisplayName: "\u202eevil", Name: "\u200bzero"},
	}
	for _, format := range []string{"text", "json"} {
		var b strings.Builder
		p := &payment{format: format}
		if err := p.print(&b, outputOf(reflect.ValueOf(slip))); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if r, ok := sandboxtest.UnsafeRune(out); ok {
			t.Errorf("%s: the output has %U: %q", format, r, out)
		}
		if !strings.Contains(out, "ok & <b> ข้าว") || regexp.MustCompile(`(?m)^\s*"?Injected`).MatchString(out) {
			t.Errorf("%s: got %q, want HTML characters and Thai as they are, and no injected line", format, out)
		}
		if format == "text" && !strings.Contains(out, `x\x1b[2Jy`) {
			t.Errorf("text: got %q, want the escape written as \\x1b", out)
		}
		if format != "json" {
			continue
		}
		var back struct {
			TransRef, Ref1, Ref2 string
			Sender               struct{ DisplayName, Name string }
		}
		if err := json.Unmarshal([]byte(out), &back); err != nil || back.TransRef != slip.TransRef || back.Ref1 != slip.Ref1 ||
			back.Ref2 != slip.Ref2 || back.Sender.DisplayName != slip.Sender.DisplayName || back.Sender.Name != slip.Sender.Name {
			t.Errorf("json: got %+v (%v) from %q, want the values back", back, err, out)
		}
	}
}

// TestPaymentOutputFields: the output names every field of the api's results in lowerCamel,
// leaves out what SCB did not give but keeps booleans and a pending status, and never prints
// the QR's picture.
func TestPaymentOutputFields(t *testing.T) {
	for in, want := range map[string]string{
		"QRCodeType": "qrCodeType", "ID": "id", "UserRefID": "userRefId", "URL": "url", "TransRef": "transRef",
		"PartnerTransactionID": "partnerTransactionId", "Ref1": "ref1", "RawData": "rawData", "A": "a",
	} {
		if got := lowerCamel(in); got != want {
			t.Errorf("lowerCamel(%q) = %q, want %q", in, got, want)
		}
	}
	name := regexp.MustCompile(`^[a-z][a-z0-9]*([A-Z][a-z0-9]+)*$`)
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice && typ != bytesType {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() {
				if key := lowerCamel(f.Name); !name.MatchString(key) {
					t.Errorf("%s.%s prints as %q, not lowerCamel", path, f.Name, key)
				}
				walk(f.Type, path+"."+f.Name)
			}
		}
	}
	for _, v := range []any{api.QRCode{}, api.Slip{}, api.BillPayment{}, api.Deeplink{}, api.Transaction{}} {
		walk(reflect.TypeOf(v), reflect.TypeOf(v).Name())
	}

	got, _ := json.Marshal(outputOf(reflect.ValueOf(&api.Transaction{ID: "t1", Status: api.StatusPending, ValidFor: 15 * time.Minute,
		CreatedAt: time.Date(2026, 4, 1, 17, 30, 0, 0, time.UTC), SubTypes: []string{"BP"}})))
	if want := `{"id":"t1","subTypes":["BP"],"status":"pending","validFor":"15m","createdAt":"2026-04-02T00:30:00+07:00"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	got, _ = json.Marshal(outputOf(reflect.ValueOf(api.BillPayment{TransactionID: "b1", Amount: api.Satang(5)})))
	if want := `{"transactionId":"b1","reversed":false,"amount":"0.05"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	got, _ = json.Marshal(outputOf(reflect.ValueOf(&api.QRCode{RawData: "000201", Image: []byte("GIF87a")})))
	if want := `{"rawData":"000201"}`; string(got) != want {
		t.Errorf("got %s, want %s: the picture is never printed", got, want)
	}
}
