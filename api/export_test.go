package api

import "time"

// NewMemStore returns an empty in-memory Store and the function that moves its clock forward,
// for the conformance checks in package api_test.
func NewMemStore() (Store, func(time.Duration)) {
	m := newMemStore()
	return m, m.advance
}
