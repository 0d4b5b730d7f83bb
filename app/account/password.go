package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"cunlu/app/errs"
)

// Argon2id parameters: one of the configurations OWASP's cheat sheet gives as equally
// strong (12 MiB, 3 passes; the others trade memory for passes, e.g. 19 MiB and 2). The
// smaller memory keeps two sign-ins at once within the server's 100 MB. Stored hashes
// carry their parameters, so hashes made with other ones still verify.
const (
	argonMemory  = 12 * 1024
	argonTime    = 3
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Limits on secrets. Nothing is truncated: a longer password is refused with a message.
const (
	MinPasswordRunes = 8
	MaxPasswordRunes = 128
	PINLength        = 6
)

// hasher runs the slow KDF with bounded concurrency, so a burst of sign-ins cannot take
// all memory (each hash holds 12 MiB while it runs).
type hasher struct{ slots chan struct{} }

func newHasher() *hasher {
	return &hasher{slots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
}

// Hash returns an encoded argon2id hash of secret in the PHC string format.
func (h *hasher) Hash(secret string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	h.slots <- struct{}{}
	key := argon2.IDKey([]byte(secret), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	<-h.slots
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether secret matches encoded. An empty or malformed hash never matches,
// but the KDF still runs so that timing does not tell whether an account exists.
func (h *hasher) Verify(encoded, secret string) bool {
	var version int
	var memory, time uint32
	var threads uint8
	parts := strings.Split(encoded, "$")
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &version)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads)
		ok = err1 == nil && err2 == nil && version == argon2.Version && memory > 0 && memory <= 256*1024 && time > 0 && time <= 16 && threads > 0
	}
	var salt, want []byte
	if ok {
		var err1, err2 error
		salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 = base64.RawStdEncoding.DecodeString(parts[5])
		ok = err1 == nil && err2 == nil && len(want) > 0
	}
	if !ok {
		salt, want, memory, time, threads = make([]byte, argonSaltLen), make([]byte, argonKeyLen), argonMemory, argonTime, argonThreads
	}
	h.slots <- struct{}{}
	got := argon2.IDKey([]byte(secret), salt, time, memory, threads, uint32(len(want)))
	<-h.slots
	return subtle.ConstantTimeCompare(got, want) == 1 && ok
}

// CheckPassword applies the password rules: 8 to 128 characters (a Chinese character counts
// as one), not one of the most common passwords, not the login name, valid text.
func CheckPassword(password, login string) error {
	if !utf8.ValidString(password) {
		return errs.Field("password", "error.password_invalid_text")
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordRunes {
		return errs.Field("password", "error.password_too_short").With("Min", MinPasswordRunes)
	}
	if n > MaxPasswordRunes {
		return errs.Field("password", "error.password_too_long").With("Max", MaxPasswordRunes)
	}
	for _, r := range password {
		if unicode.IsControl(r) {
			return errs.Field("password", "error.password_invalid_text")
		}
	}
	lower := strings.ToLower(password)
	if isCommonPassword(lower) || (login != "" && strings.EqualFold(strings.TrimSpace(password), login)) || oneRepeated(lower) {
		return errs.Field("password", "error.password_common")
	}
	return nil
}

// CheckPIN applies the PIN rules: exactly six digits, not a run like 123456 or 000000.
func CheckPIN(pin string) error {
	if len(pin) != PINLength {
		return errs.Field("pin", "error.pin_format")
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return errs.Field("pin", "error.pin_format")
		}
	}
	up, down, same := true, true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		up = up && d == 1
		down = down && d == -1
		same = same && d == 0
	}
	if up || down || same || isCommonPIN(pin) {
		return errs.Field("pin", "error.pin_weak")
	}
	return nil
}

func oneRepeated(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}
