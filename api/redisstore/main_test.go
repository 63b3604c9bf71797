package redisstore_test

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/internal/redistest"
)

// TestMain lets the test binary run as a worker process of the fleet tests (fleet_test.go).
func TestMain(m *testing.M) {
	redis.SetLogger(quiet{}) // go-redis logs every failed dial of the tests that kill Redis
	redistest.Main(workerRoles)
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
