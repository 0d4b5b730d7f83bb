package account_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"cunlu/app/account"
	"cunlu/app/errs"
)

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		login    string
		wantKey  string // "" when accepted
	}{
		{"empty", "", "", "error.password_too_short"},
		{"seven characters", "k9#mQ2v", "", "error.password_too_short"},
		{"seven Chinese characters", "我的密码很安全", "", "error.password_too_short"},
		{"eight characters", "k9#mQ2vL", "", ""},
		{"eight Chinese characters", "我的密码很安全吧", "", ""},
		{"spaces inside", "my cat likes fish", "", ""},
		{"128 characters", strings.Repeat("ab", 64), "", ""},
		{"128 Chinese characters (384 bytes)", strings.Repeat("山水", 64), "", ""},
		{"129 characters refused, not truncated", strings.Repeat("ab", 64) + "c", "", "error.password_too_long"},
		{"1000 characters", strings.Repeat("xy", 500), "", "error.password_too_long"},
		{"common", "password", "", "error.password_common"},
		{"common in mixed case", "PassWord", "", "error.password_common"},
		{"common in upper case", "QWERTY123", "", "error.password_common"},
		{"common pinyin", "Zhongguo1", "", "error.password_common"},
		{"common digits", "88888888", "", "error.password_common"},
		{"common Chinese", "密码密码密码密码", "", "error.password_common"},
		{"one character repeated", "zzzzzzzzzz", "", "error.password_common"},
		{"one Chinese character repeated", "好好好好好好好好", "", "error.password_common"},
		{"equal to login", "river-stone", "river-stone", "error.password_common"},
		{"equal to login in other case", "River-Stone", "river-stone", "error.password_common"},
		{"equal to login with spaces around", " river-stone ", "river-stone", "error.password_common"},
		{"login plus more", "river-stone-2", "river-stone", ""},
		{"NUL", "abcd\x00efgh", "", "error.password_invalid_text"},
		{"tab", "abcd\tefgh", "", "error.password_invalid_text"},
		{"newline", "abcdefgh\n", "", "error.password_invalid_text"},
		{"DEL", "abcd\x7fefgh", "", "error.password_invalid_text"},
		{"C1 control", "abcd\u0085efgh", "", "error.password_invalid_text"},
		{"invalid UTF-8", "abcdefgh\xff", "", "error.password_invalid_text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := account.CheckPassword(tt.password, tt.login)
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("CheckPassword(%q) = %v, want nil", tt.password, err)
				}
				return
			}
			wantFieldErr(t, err, "password", tt.wantKey)
		})
	}

	t.Run("limits in the message", func(t *testing.T) {
		e := wantErr(t, account.CheckPassword("short", ""), errs.Invalid, "error.password_too_short")
		if e.Args["Min"] != account.MinPasswordRunes {
			t.Errorf("Args = %v, want Min %d", e.Args, account.MinPasswordRunes)
		}
		e = wantErr(t, account.CheckPassword(strings.Repeat("a1", 65), ""), errs.Invalid, "error.password_too_long")
		if e.Args["Max"] != account.MaxPasswordRunes {
			t.Errorf("Args = %v, want Max %d", e.Args, account.MaxPasswordRunes)
		}
	})
}

func TestCheckPIN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pin     string
		wantKey string // "" when accepted
	}{
		{"739154", ""},
		{"902817", ""},
		{"890123", ""}, // wraps past 9, not a run
		{"", "error.pin_format"},
		{"12345", "error.pin_format"},
		{"7391542", "error.pin_format"},
		{"73a154", "error.pin_format"},
		{"73915 ", "error.pin_format"},
		{"-73915", "error.pin_format"},
		{"７３９１５４", "error.pin_format"}, // full-width digits
		{"٧٣٩١٥٤", "error.pin_format"}, // Arabic-Indic digits
		{"123456", "error.pin_weak"},
		{"654321", "error.pin_weak"},
		{"111111", "error.pin_weak"},
		{"000000", "error.pin_weak"},
		{"999999", "error.pin_weak"},
		{"345678", "error.pin_weak"},
		{"987654", "error.pin_weak"},
	}
	for _, common := range []string{"123123", "112233", "121212", "520520", "521521", "131452", "147258",
		"258369", "159753", "666888", "888666", "168168", "101010", "202020", "123321", "654456"} {
		tests = append(tests, struct{ pin, wantKey string }{common, "error.pin_weak"})
	}
	for _, tt := range tests {
		t.Run(tt.pin, func(t *testing.T) {
			err := account.CheckPIN(tt.pin)
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("CheckPIN(%q) = %v, want nil", tt.pin, err)
				}
				return
			}
			wantFieldErr(t, err, "pin", tt.wantKey)
		})
	}
}

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	s := account.NewService(nil, account.Options{PINKey: testPINKey})
	// 100 characters, Chinese and ASCII; the last one is what the wrong guess changes.
	password := strings.Repeat("村路", 20) + strings.Repeat("x", 59) + "A"
	if n := len([]rune(password)); n != 100 {
		t.Fatalf("test password has %d characters", n)
	}
	h, err := s.HashPassword(password)
	must(t, err)

	t.Run("encoding", func(t *testing.T) {
		if !strings.HasPrefix(h, "$argon2id$v=19$m=12288,t=3,p=1$") {
			t.Fatalf("hash %q: want $argon2id$v=19$m=12288,t=3,p=1$ prefix", h)
		}
		parts := strings.Split(h, "$")
		if len(parts) != 6 {
			t.Fatalf("hash %q has %d parts, want 6", h, len(parts))
		}
		salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
		key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
		if err1 != nil || err2 != nil || len(salt) != 16 || len(key) != 32 {
			t.Fatalf("salt %d bytes (%v), key %d bytes (%v); want 16 and 32", len(salt), err1, len(key), err2)
		}
		if strings.Contains(h, password) {
			t.Fatal("hash contains the password")
		}
	})

	t.Run("hashes made with other parameters still verify", func(t *testing.T) {
		// As stored before the parameters changed from 19 MiB and 2 passes.
		salt := []byte("0123456789abcdef")
		old := fmt.Sprintf("$argon2id$v=19$m=19456,t=2,p=1$%s$%s", base64.RawStdEncoding.EncodeToString(salt),
			base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(password), salt, 2, 19456, 1, 32)))
		if !s.Verify(old, password) || s.Verify(old, password+"x") {
			t.Fatal("a 19 MiB, 2-pass hash does not verify as it should")
		}
	})

	t.Run("fresh salt each time", func(t *testing.T) {
		h2, err := s.HashPassword(password)
		must(t, err)
		if h2 == h {
			t.Fatal("two hashes of one password are equal")
		}
		if !s.Verify(h2, password) {
			t.Fatal("second hash does not verify")
		}
	})

	t.Run("secrets", func(t *testing.T) {
		tests := []struct {
			name   string
			secret string
			want   bool
		}{
			{"right", password, true},
			{"last character differs", password[:len(password)-1] + "B", false},
			{"last character missing", password[:len(password)-1], false},
			{"one character more", password + "A", false},
			{"first 72 bytes", password[:72], false},
			{"empty", "", false},
		}
		for _, tt := range tests {
			if got := s.Verify(h, tt.secret); got != tt.want {
				t.Errorf("%s: Verify = %v, want %v", tt.name, got, tt.want)
			}
		}
	})

	t.Run("malformed hashes never verify", func(t *testing.T) {
		parts := strings.Split(h, "$")
		with := func(i int, v string) string {
			p := append([]string(nil), parts...)
			p[i] = v
			return strings.Join(p, "$")
		}
		tests := []struct{ name, encoded string }{
			{"empty", ""},
			{"plain text", password},
			{"five parts", strings.Join(parts[:5], "$")},
			{"seven parts", h + "$x"},
			{"argon2i", with(1, "argon2i")},
			{"old version", with(2, "v=16")},
			{"huge memory", with(3, "m=4194304,t=2,p=1")},
			{"no passes", with(3, "m=19456,t=0,p=1")},
			{"no threads", with(3, "m=19456,t=2,p=0")},
			{"other passes", with(3, "m=19456,t=3,p=1")},
			{"salt not base64", with(4, "!!!!")},
			{"empty key", with(5, "")},
			{"other key", with(5, base64.RawStdEncoding.EncodeToString(make([]byte, 32)))},
		}
		for _, tt := range tests {
			if s.Verify(tt.encoded, password) {
				t.Errorf("%s: Verify(%q, password) = true", tt.name, tt.encoded)
			}
		}
	})
}
