// Package scboauth is a Go toolkit for the OAuth API of the Siam Commercial Bank (SCB)
// Developer Platform: the hand-written OpenAPI document (openapi.yaml), the code generated from
// it (package generated; the embedded document apart, in generated/embedded), a client with a
// caching token source (package api), a local emulator (package sandbox), and a contract check
// (package contract) that proves a server matches the document.
//
// openapi.yaml is the single source of truth. Regenerate after every change to it:
//
//	go generate ./...
//
// SCB's documentation: https://developer.scb (API Reference > OAuth).
package scboauth

//go:generate go tool oapi-codegen -config generated/cfg.yaml openapi.yaml
//go:generate go tool oapi-codegen -config generated/embedded/cfg.yaml openapi.yaml
//go:generate go tool oapi-codegen -config generated/admin/cfg.yaml sandbox/admin.yaml
