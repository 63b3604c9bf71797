package api_test

import (
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/storetest"
)

// TestMemStoreContract checks the in-memory reference store against the Store contract.
func TestMemStoreContract(t *testing.T) {
	var advance func(time.Duration)
	storetest.Run(t, storetest.Harness{
		New: func(*testing.T) api.Store {
			s, adv := api.NewMemStore()
			advance = adv
			return s
		},
		Advance: func(_ *testing.T, d time.Duration) { advance(d) },
	})
}
