package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// PINs are six digits: a million guesses, which a slow hash only stretches to minutes for
// anyone holding a copy of the database, while costing every honest sign-in and every
// practice payment tens of milliseconds of CPU. They are protected instead by a key the
// database does not hold (the key file, see config) and by the attempt limits: a PIN hash
// is HMAC-SHA-256 under that key of a random salt and the PIN, so a stolen database alone
// gives nothing to guess against. Passwords keep the slow hash (password.go): they are
// chosen by people and reused elsewhere.
const pinScheme = "hmac-sha256"

// pinHasher hashes and checks PINs under the installation's key.
type pinHasher struct {
	key    []byte
	legacy *hasher // PINs hashed before, with the slow hash, still verify
}

// Hash returns the encoded keyed hash of pin: "hmac-sha256$salt$mac", base64.
func (p *pinHasher) Hash(pin string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	b64 := base64.RawStdEncoding
	return pinScheme + "$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(p.mac(salt, pin))
}

func (p *pinHasher) mac(salt []byte, pin string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write(salt)
	m.Write([]byte(pin))
	return m.Sum(nil)
}

// Verify reports whether pin matches encoded, a keyed hash or an older slow one. An empty
// or malformed hash never matches, after the same work as a real one.
func (p *pinHasher) Verify(encoded, pin string) bool {
	if strings.HasPrefix(encoded, "$argon2id$") {
		return p.legacy.Verify(encoded, pin)
	}
	parts := strings.Split(encoded, "$")
	ok := len(parts) == 3 && parts[0] == pinScheme
	var salt, want []byte
	if ok {
		var err1, err2 error
		salt, err1 = base64.RawStdEncoding.DecodeString(parts[1])
		want, err2 = base64.RawStdEncoding.DecodeString(parts[2])
		ok = err1 == nil && err2 == nil && len(want) == sha256.Size
	}
	if !ok {
		salt, want = make([]byte, 16), make([]byte, sha256.Size)
	}
	return subtle.ConstantTimeCompare(p.mac(salt, pin), want) == 1 && ok
}

// NeedsRehash reports whether a PIN hash is of an older scheme, to be replaced at the next
// successful sign-in.
func (p *pinHasher) NeedsRehash(encoded string) bool {
	return !strings.HasPrefix(encoded, pinScheme+"$")
}
