package account_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
)

// TestPINKeyedHash: a PIN hash is a keyed hash with a fresh salt; it verifies only under
// the installation's key, so a copy of the database without the key file gives nothing to
// guess against; the hash does not contain the PIN.
func TestPINKeyedHash(t *testing.T) {
	t.Parallel()
	s := account.NewService(nil, account.Options{PINKey: testPINKey})
	h1, _ := s.HashPIN("739154")
	h2, _ := s.HashPIN("739154")
	if !strings.HasPrefix(h1, "hmac-sha256$") || strings.Contains(h1, "739154") {
		t.Fatalf("hash %q: want hmac-sha256$salt$mac without the PIN", h1)
	}
	if h1 == h2 {
		t.Error("two hashes of one PIN are equal: no salt")
	}
	if !s.VerifyPIN(h1, "739154") || !s.VerifyPIN(h2, "739154") || s.VerifyPIN(h1, "739155") {
		t.Error("the PIN hash does not verify as it should")
	}
	other := account.NewService(nil, account.Options{PINKey: []byte("another installation's key 32 by")})
	if other.VerifyPIN(h1, "739154") {
		t.Error("a PIN hash verifies under another key")
	}
	for _, bad := range []string{"", "hmac-sha256$", "hmac-sha256$AAAA$BBBB", h1[:len(h1)-2], strings.Replace(h1, "hmac-sha256", "hmac-sha1", 1)} {
		if s.VerifyPIN(bad, "739154") {
			t.Errorf("malformed hash %q verifies", bad)
		}
	}
}

// TestPINSlowHashUpgraded: a villager whose PIN was hashed the older, slow way still signs
// in, and from then on has a keyed hash.
func TestPINSlowHashUpgraded(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		slow, err := w.svc.HashPassword(fixturePIN) // the slow KDF, as PINs were stored before
		must(t, err)
		must(t, g.Model(&account.User{}).Where("id = ?", w.villagerA1.ID).Update("pin_hash", slow).Error)
		if _, err := w.svc.SignInPIN(w.ctx, "13800000001", fixturePIN, ipOne); err != nil {
			t.Fatalf("sign-in with a slow-hashed PIN: %v", err)
		}
		var u account.User
		must(t, g.Take(&u, w.villagerA1.ID).Error)
		if !strings.HasPrefix(u.PINHash, "hmac-sha256$") || !w.svc.VerifyPIN(u.PINHash, fixturePIN) {
			t.Errorf("after sign-in the PIN hash is %q, want a keyed hash of the same PIN", u.PINHash)
		}
		if _, err := w.svc.SignInPIN(w.ctx, "13800000001", fixturePIN, ipOne); err != nil {
			t.Fatalf("sign-in after the upgrade: %v", err)
		}
	})
}
