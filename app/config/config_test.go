package config_test

import (
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"cunlu/app/config"
)

// envOf turns a map into the getenv function Parse takes.
func envOf(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c config.Config)
	}{
		{
			name: "defaults",
			check: func(t *testing.T, c config.Config) {
				want(t, "addr", c.Addr, ":8080")
				want(t, "database", c.DatabaseURL, "cunlu.db")
				want(t, "base URL", c.BaseURL.String(), "http://localhost:8080")
				want(t, "idle", c.IdleTimeout, 12*time.Hour)
				want(t, "request timeout", c.RequestTimeout, 30*time.Second)
				want(t, "log level", c.LogLevel, slog.LevelInfo)
				want(t, "demo", c.Demo, false)
				want(t, "dev dir", c.DevDir, "")
				want(t, "trusted proxies", len(c.TrustedProxies), 0)
				want(t, "secure", c.Secure(), false)
			},
		},
		{
			name: "environment used when no flag",
			env: map[string]string{
				"CUNLU_ADDR":            "127.0.0.1:9000",
				"DATABASE_URL":          "/var/lib/cunlu/cunlu.db",
				"CUNLU_BASE_URL":        "http://cunlu.example.cn/",
				"CUNLU_TRUSTED_PROXIES": "10.0.0.1",
				"CUNLU_LOG_LEVEL":       "debug",
				"CUNLU_SESSION_IDLE":    "30m",
				"CUNLU_REQUEST_TIMEOUT": "45s",
				"CUNLU_DEV_DIR":         "/src/cunlu",
			},
			check: func(t *testing.T, c config.Config) {
				want(t, "addr", c.Addr, "127.0.0.1:9000")
				want(t, "database", c.DatabaseURL, "/var/lib/cunlu/cunlu.db")
				want(t, "base URL", c.BaseURL.String(), "http://cunlu.example.cn") // trailing slash trimmed
				want(t, "trusted proxies", prefixes(c.TrustedProxies), "10.0.0.1/32")
				want(t, "log level", c.LogLevel, slog.LevelDebug)
				want(t, "idle", c.IdleTimeout, 30*time.Minute)
				want(t, "request timeout", c.RequestTimeout, 45*time.Second)
				want(t, "dev dir", c.DevDir, "/src/cunlu")
			},
		},
		{
			name: "flags beat environment",
			args: []string{"-addr", "127.0.0.1:7000", "-database-url", "flag.db", "-base-url", "https://flag.example.cn",
				"-trusted-proxies", "192.168.1.1", "-log-level", "warn", "-session-idle", "2h", "-request-timeout", "1m", "-dev", "/flag", "-demo"},
			env: map[string]string{
				"CUNLU_ADDR":            "127.0.0.1:9000",
				"DATABASE_URL":          "env.db",
				"CUNLU_BASE_URL":        "http://env.example.cn",
				"CUNLU_TRUSTED_PROXIES": "10.0.0.1",
				"CUNLU_LOG_LEVEL":       "debug",
				"CUNLU_SESSION_IDLE":    "30m",
				"CUNLU_REQUEST_TIMEOUT": "45s",
				"CUNLU_DEV_DIR":         "/env",
			},
			check: func(t *testing.T, c config.Config) {
				want(t, "addr", c.Addr, "127.0.0.1:7000")
				want(t, "database", c.DatabaseURL, "flag.db")
				want(t, "base URL", c.BaseURL.String(), "https://flag.example.cn")
				want(t, "trusted proxies", prefixes(c.TrustedProxies), "192.168.1.1/32")
				want(t, "log level", c.LogLevel, slog.LevelWarn)
				want(t, "idle", c.IdleTimeout, 2*time.Hour)
				want(t, "request timeout", c.RequestTimeout, time.Minute)
				want(t, "dev dir", c.DevDir, "/flag")
				want(t, "demo", c.Demo, true)
			},
		},
		{
			name: "default base URL follows the port",
			args: []string{"-addr", ":9090"},
			check: func(t *testing.T, c config.Config) {
				want(t, "base URL", c.BaseURL.String(), "http://localhost:9090")
			},
		},
		{
			name: "port 0 keeps the default base URL usable",
			args: []string{"-addr", "127.0.0.1:0"},
			check: func(t *testing.T, c config.Config) {
				want(t, "base URL", c.BaseURL.String(), "http://localhost:8080")
			},
		},
		{
			name: "trusted proxies: single IPs and CIDR ranges",
			args: []string{"-trusted-proxies", " 10.0.0.1, 192.168.0.0/16 ,::1, 10.1.2.3/8,, fd00::/8"},
			check: func(t *testing.T, c config.Config) {
				want(t, "trusted proxies", prefixes(c.TrustedProxies), "10.0.0.1/32 192.168.0.0/16 ::1/128 10.0.0.0/8 fd00::/8")
			},
		},
		{
			name: "https base URL means Secure",
			env:  map[string]string{"CUNLU_BASE_URL": "https://cunlu.example.cn/app/"},
			check: func(t *testing.T, c config.Config) {
				want(t, "secure", c.Secure(), true)
				want(t, "base URL", c.BaseURL.String(), "https://cunlu.example.cn/app")
			},
		},
		{
			name: "postgres URL accepted",
			env:  map[string]string{"DATABASE_URL": "postgres://cunlu:secret@db.example.cn:5432/cunlu?sslmode=require"},
			check: func(t *testing.T, c config.Config) {
				want(t, "database", c.DatabaseURL, "postgres://cunlu:secret@db.example.cn:5432/cunlu?sslmode=require")
				want(t, "key file", c.KeyFile, "") // no default: the instances must share one
			},
		},
		{
			name: "the key file sits beside a SQLite database unless named",
			args: []string{"-database-url", "/var/lib/cunlu/county.db"},
			check: func(t *testing.T, c config.Config) {
				want(t, "key file", c.KeyFile, "/var/lib/cunlu/county.db.key")
			},
		},
		{
			name: "a named key file",
			env:  map[string]string{"DATABASE_URL": "postgres://cunlu@db/cunlu", "CUNLU_KEY_FILE": "/etc/cunlu/key"},
			check: func(t *testing.T, c config.Config) {
				want(t, "key file", c.KeyFile, "/etc/cunlu/key")
			},
		},
		{
			name: "environment values are trimmed",
			env:  map[string]string{"CUNLU_ADDR": "  :8081\n", "CUNLU_LOG_LEVEL": " error "},
			check: func(t *testing.T, c config.Config) {
				want(t, "addr", c.Addr, ":8081")
				want(t, "log level", c.LogLevel, slog.LevelError)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse(tt.args, envOf(tt.env), io.Discard)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		mention []string // the error must contain each of these
		hide    string   // and must not contain this
	}{
		{name: "addr without port", args: []string{"-addr", "localhost"}, mention: []string{"-addr / CUNLU_ADDR", `"localhost"`}},
		{name: "addr from env", env: map[string]string{"CUNLU_ADDR": "8080"}, mention: []string{"CUNLU_ADDR", `"8080"`}},
		{name: "ftp base URL", args: []string{"-base-url", "ftp://cunlu.example.cn"}, mention: []string{"CUNLU_BASE_URL", "ftp://cunlu.example.cn"}},
		{name: "relative base URL", env: map[string]string{"CUNLU_BASE_URL": "/cunlu"}, mention: []string{"CUNLU_BASE_URL", "/cunlu"}},
		{name: "base URL without host", args: []string{"-base-url", "https://"}, mention: []string{"-base-url"}},
		{name: "bad proxy CIDR", args: []string{"-trusted-proxies", "10.0.0.0/33"}, mention: []string{"CUNLU_TRUSTED_PROXIES", "10.0.0.0/33"}},
		{name: "proxy host name", env: map[string]string{"CUNLU_TRUSTED_PROXIES": "10.0.0.1,proxy.local"}, mention: []string{"CUNLU_TRUSTED_PROXIES", "proxy.local"}},
		{name: "bad log level", args: []string{"-log-level", "loud"}, mention: []string{"-log-level / CUNLU_LOG_LEVEL", "loud"}},
		{name: "bad log level from env", env: map[string]string{"CUNLU_LOG_LEVEL": "verbose"}, mention: []string{"CUNLU_LOG_LEVEL", "verbose"}},
		{name: "unparseable CUNLU_SESSION_IDLE", env: map[string]string{"CUNLU_SESSION_IDLE": "twelve hours"}, mention: []string{"CUNLU_SESSION_IDLE", "twelve hours"}},
		{name: "CUNLU_SESSION_IDLE without unit", env: map[string]string{"CUNLU_SESSION_IDLE": "12"}, mention: []string{"CUNLU_SESSION_IDLE"}},
		{name: "too short CUNLU_SESSION_IDLE", env: map[string]string{"CUNLU_SESSION_IDLE": "30s"}, mention: []string{"CUNLU_SESSION_IDLE", "30s"}},
		{name: "negative -session-idle", args: []string{"-session-idle", "-1h"}, mention: []string{"CUNLU_SESSION_IDLE"}},
		{name: "bad -session-idle", args: []string{"-session-idle", "soon"}, mention: []string{"session-idle"}},
		{name: "unparseable CUNLU_REQUEST_TIMEOUT", env: map[string]string{"CUNLU_REQUEST_TIMEOUT": "half a minute"}, mention: []string{"CUNLU_REQUEST_TIMEOUT", "half a minute"}},
		{name: "too short -request-timeout", args: []string{"-request-timeout", "10ms"}, mention: []string{"-request-timeout", "10ms"}},
		{name: "empty database URL", args: []string{"-database-url", " "}, mention: []string{"DATABASE_URL"}},
		{
			name:    "unknown database scheme hides its password",
			env:     map[string]string{"DATABASE_URL": "mysql://cunlu:hunter2secret@db.example.cn/cunlu"},
			mention: []string{"DATABASE_URL", "mysql://cunlu:xxxxx@db.example.cn/cunlu"},
			hide:    "hunter2secret",
		},
		{
			name:    "unparsable database URL hides its password",
			env:     map[string]string{"DATABASE_URL": "mysql://cunlu:hunter2secret@db:bad/x"},
			mention: []string{"DATABASE_URL", "//xxxxx@"},
			hide:    "hunter2secret",
		},
		{
			name:    "postgres password not printed beside another error",
			args:    []string{"-addr", "nope"},
			env:     map[string]string{"DATABASE_URL": "postgres://cunlu:hunter2secret@db.example.cn/cunlu"},
			mention: []string{"-addr"},
			hide:    "hunter2secret",
		},
		{name: "unknown flag", args: []string{"-port", "80"}, mention: []string{"port"}},
		{name: "stray argument", args: []string{"serve"}, mention: []string{`"serve"`}},
		{
			name:    "every problem reported at once",
			args:    []string{"-addr", "x", "-log-level", "loud"},
			env:     map[string]string{"CUNLU_TRUSTED_PROXIES": "nonsense"},
			mention: []string{"CUNLU_ADDR", "CUNLU_LOG_LEVEL", "CUNLU_TRUSTED_PROXIES"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			_, err := config.Parse(tt.args, envOf(tt.env), &out)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if tt.hide != "" && (strings.Contains(err.Error(), tt.hide) || strings.Contains(out.String(), tt.hide)) {
				t.Errorf("error or output shows %q:\n%v\n%s", tt.hide, err, out.String())
			}
		})
	}
}

func want[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func prefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}
