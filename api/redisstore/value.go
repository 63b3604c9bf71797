package redisstore

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api"
)

// Layout of a value: magic, version, expiry, flags, then the token (plain) or a nonce and the
// sealed token (AES-GCM).
const (
	magic     = "scb1"
	headerLen = len(magic) + 8 + 8 + 1
	nonceLen  = 12 // AES-GCM's standard nonce
	tagLen    = 16 // AES-GCM's tag
	flagPlain = 0
	flagGCM   = 1
)

// The scripts read the version as bytes 5 to 12 of a value that starts with the magic and is
// at least a header long (Lua counts from 1); any other value, a key of another type
// included, has version 0, as no record.
const readVersion = `
local cur = redis.pcall('GET', KEYS[1])
if type(cur) ~= 'string' then cur = false end
local v = string.rep(string.char(0), 8)
if cur and string.len(cur) >= 21 and string.sub(cur, 1, 4) == 'scb1' then v = string.sub(cur, 5, 12) end
`

var (
	// putScript: KEYS[1] the record, ARGV[1] the expected version, ARGV[2] the new value,
	// ARGV[3] its TTL in milliseconds. Returns 1 when written, 0 on another version.
	putScript = redis.NewScript(readVersion + `
if v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`)
	// deleteScript: KEYS[1] the record, ARGV[1] its version. Returns 1 when deleted.
	deleteScript = redis.NewScript(readVersion + `
if cur and v == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`)
	// lockScript: KEYS[1] the lock, ARGV[1] its token, ARGV[2] the lease in milliseconds.
	// Returns 1 when taken: the key was free, or held without a TTL, which no lock of this
	// store ever is (a value planted by hand would otherwise lock the fleet out for good).
	lockScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`)
	// unlockScript: KEYS[1] the lock, ARGV[1] its token. Returns 1 when released.
	unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0`)
	// extendScript: KEYS[1] the lock, ARGV[1] its token, ARGV[2] the lease in milliseconds.
	// Returns 1 when extended.
	extendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`)
)

// seal returns the value that keeps token under the Redis key name.
func (s *Store) seal(name string, version uint64, expiry time.Time, token []byte) []byte {
	b := make([]byte, headerLen, headerLen+nonceLen+len(token)+tagLen)
	copy(b, magic)
	binary.BigEndian.PutUint64(b[4:], version)
	binary.BigEndian.PutUint64(b[12:], uint64(expiry.UnixMilli()))
	if s.aead == nil {
		b[20] = flagPlain
		return append(b, token...)
	}
	b[20] = flagGCM
	b = b[:headerLen+nonceLen]
	_, _ = rand.Read(b[headerLen:]) // never fails
	return s.aead.Seal(b, b[headerLen:], token, additionalData(name, b[:headerLen]))
}

// additionalData binds a sealed token to its Redis key and its header.
func additionalData(name string, header []byte) []byte {
	return append([]byte(name), header...)
}

// open reads the value b found under the Redis key name. A value it cannot read is an error
// wrapping api.ErrStoreUnreadable, with the record's version when the header tells it.
func (s *Store) open(name string, b []byte) (api.StoreRecord, error) {
	if len(b) < headerLen || string(b[:len(magic)]) != magic {
		return api.StoreRecord{}, unreadable(name, "not a value of this store")
	}
	rec := api.StoreRecord{Version: binary.BigEndian.Uint64(b[4:])}
	expiry, flags, payload := int64(binary.BigEndian.Uint64(b[12:])), b[20], b[headerLen:]
	var token []byte
	switch {
	case len(b) > MaxValueBytes:
		return rec, unreadable(name, fmt.Sprintf("%d bytes, at most %d", len(b), MaxValueBytes))
	case expiry <= 0:
		return rec, unreadable(name, "no expiry")
	case flags == flagPlain && s.aead != nil:
		return rec, unreadable(name, "not encrypted, and this store decrypts")
	case flags == flagPlain:
		token = payload
	case flags == flagGCM && s.aead == nil:
		return rec, unreadable(name, "encrypted, and this store has no key")
	case flags == flagGCM && len(payload) > nonceLen+tagLen:
		var err error
		// In place: b is the store's own copy of the answer.
		token, err = s.aead.Open(payload[nonceLen:nonceLen], payload[:nonceLen], payload[nonceLen:], additionalData(name, b[:headerLen]))
		if err != nil {
			return rec, unreadable(name, "does not decrypt: another encryption key, or a value moved or changed")
		}
	case flags == flagGCM:
		return rec, unreadable(name, "sealed token cut short")
	default:
		return rec, unreadable(name, fmt.Sprintf("unknown flags %#x", flags))
	}
	if len(token) == 0 {
		return rec, unreadable(name, "empty token")
	}
	return api.NewStoreRecord(token, time.UnixMilli(expiry), rec.Version), nil
}

func unreadable(name, reason string) error {
	return fmt.Errorf("redisstore: get %s: %w: %s", name, api.ErrStoreUnreadable, reason)
}
