// Package config reads Cunlu's settings from flags and the environment and validates them
// before anything starts, so a typo fails fast with a message that says what to fix.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config is everything the server needs to start. Flags win over environment variables.
type Config struct {
	Addr           string         // listen address, host:port
	DatabaseURL    string         // a SQLite file path or a postgres:// URL
	BaseURL        *url.URL       // public URL, used for links in certificates; https turns on Secure cookies and HSTS
	TrustedProxies []netip.Prefix // client IPs from X-Forwarded-For are believed only from these
	LogLevel       slog.Level
	Demo           bool          // load the demo data (once)
	DevDir         string        // serve templates, static files and courses from this source folder
	IdleTimeout    time.Duration // a session ends after this long without a request
	RequestTimeout time.Duration // a request still working after this long is answered 503 and changes nothing
	BaseURLDefault bool          // BaseURL was not configured but derived from the address
	PprofAddr      string        // loopback address for Go's profiler (net/http/pprof), or ""
	KeyFile        string        // the installation's secret key (PIN hashes); see KeyFileFor
}

// KeyFileFor is where the secret key lives unless configured: beside a SQLite database
// file. It is never in the database, so a copy of the database alone does not give away
// the PINs. PostgreSQL has no default ("" is returned): the instances sharing a database
// must share one key file, so it is named in their configuration.
func KeyFileFor(databaseURL string) string {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		return ""
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(databaseURL, "file:"), "?")
	return path + ".key"
}

// Secure reports whether the public URL is https, so cookies must be Secure and HSTS sent.
func (c Config) Secure() bool { return c.BaseURL.Scheme == "https" }

// Parse reads args (without the program name) and the environment.
func Parse(args []string, getenv func(string) string, output io.Writer) (Config, error) {
	fs := flag.NewFlagSet("cunlu", flag.ContinueOnError)
	fs.SetOutput(output)
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	addr := fs.String("addr", env("CUNLU_ADDR", ":8080"), "listen address (CUNLU_ADDR)")
	dbURL := fs.String("database-url", env("DATABASE_URL", "cunlu.db"), "SQLite file path or postgres:// URL (DATABASE_URL)")
	baseURL := fs.String("base-url", env("CUNLU_BASE_URL", ""), "public URL, e.g. https://cunlu.example.cn (CUNLU_BASE_URL); default http://localhost:PORT")
	proxies := fs.String("trusted-proxies", env("CUNLU_TRUSTED_PROXIES", ""), "comma-separated IPs or CIDR ranges of reverse proxies whose X-Forwarded-For is believed (CUNLU_TRUSTED_PROXIES)")
	level := fs.String("log-level", env("CUNLU_LOG_LEVEL", "info"), "debug, info, warn or error (CUNLU_LOG_LEVEL)")
	idle := fs.Duration("session-idle", 0, "end a session after this long without a request (CUNLU_SESSION_IDLE, default 12h)")
	timeout := fs.Duration("request-timeout", 0, "answer 503 to a request still working after this long; it changes nothing (CUNLU_REQUEST_TIMEOUT, default 30s)")
	demo := fs.Bool("demo", false, "load the demo county, centres and sign-ins (once)")
	pprofAddr := fs.String("pprof", env("CUNLU_PPROF", ""), "serve Go's profiler on this loopback address, e.g. 127.0.0.1:6060 (CUNLU_PPROF); off when empty")
	keyFile := fs.String("key-file", env("CUNLU_KEY_FILE", ""), "the secret key file for PIN hashes, made on first start (CUNLU_KEY_FILE); default beside the SQLite file, required with PostgreSQL")
	dev := fs.String("dev", env("CUNLU_DEV_DIR", ""), "serve templates/, static/ and courses/ from this source folder instead of the embedded copy (CUNLU_DEV_DIR)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	c := Config{DatabaseURL: *dbURL, Demo: *demo, DevDir: *dev, KeyFile: *keyFile}
	if c.KeyFile == "" {
		c.KeyFile = KeyFileFor(c.DatabaseURL)
	}
	var problems []error

	if *pprofAddr != "" {
		// The profiler shows the program's insides: never on a public address.
		h, _, err := net.SplitHostPort(*pprofAddr)
		if ip, perr := netip.ParseAddr(h); err != nil || (h != "localhost" && (perr != nil || !ip.IsLoopback())) {
			problems = append(problems, fmt.Errorf("-pprof / CUNLU_PPROF %q: want a loopback host:port such as 127.0.0.1:6060", *pprofAddr))
		} else {
			c.PprofAddr = *pprofAddr
		}
	}

	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		problems = append(problems, fmt.Errorf("-addr / CUNLU_ADDR %q: want host:port such as :8080 or 127.0.0.1:8080", *addr))
	} else {
		c.Addr = net.JoinHostPort(host, port)
	}

	if strings.TrimSpace(c.DatabaseURL) == "" {
		problems = append(problems, errors.New("-database-url / DATABASE_URL is empty"))
	} else if strings.Contains(c.DatabaseURL, "://") && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.HasPrefix(c.DatabaseURL, "file:") {
		problems = append(problems, fmt.Errorf("-database-url / DATABASE_URL: %q is neither a SQLite file path nor a postgres:// URL", redact(c.DatabaseURL)))
	}

	raw := *baseURL
	c.BaseURLDefault = raw == ""
	if raw == "" {
		p := port
		if p == "" || p == "0" {
			p = "8080"
		}
		raw = "http://localhost:" + p
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		problems = append(problems, fmt.Errorf("-base-url / CUNLU_BASE_URL %q: %v", raw, err))
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		problems = append(problems, fmt.Errorf("-base-url / CUNLU_BASE_URL %q: want an absolute http:// or https:// URL", raw))
	default:
		u.Path = strings.TrimRight(u.Path, "/")
		c.BaseURL = u
	}

	for _, p := range strings.Split(*proxies, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if a, err := netip.ParseAddr(p); err == nil {
				c.TrustedProxies = append(c.TrustedProxies, netip.PrefixFrom(a, a.BitLen()))
				continue
			}
		}
		pr, err := netip.ParsePrefix(p)
		if err != nil {
			problems = append(problems, fmt.Errorf("-trusted-proxies / CUNLU_TRUSTED_PROXIES: %q is not an IP address or CIDR range", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, pr.Masked())
	}

	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		problems = append(problems, fmt.Errorf("-log-level / CUNLU_LOG_LEVEL %q: want debug, info, warn or error", *level))
	}

	if c.IdleTimeout, err = duration(*idle, getenv, "CUNLU_SESSION_IDLE", 12*time.Hour); err != nil {
		problems = append(problems, err)
	}
	if c.IdleTimeout < time.Minute {
		problems = append(problems, fmt.Errorf("-session-idle / CUNLU_SESSION_IDLE %s is shorter than a minute", c.IdleTimeout))
	}
	if c.RequestTimeout, err = duration(*timeout, getenv, "CUNLU_REQUEST_TIMEOUT", 30*time.Second); err != nil {
		problems = append(problems, err)
	}
	if c.RequestTimeout < time.Second {
		problems = append(problems, fmt.Errorf("-request-timeout / CUNLU_REQUEST_TIMEOUT %s is shorter than a second", c.RequestTimeout))
	}

	if len(problems) > 0 {
		return Config{}, errors.Join(problems...)
	}
	return c, nil
}

// duration is a duration setting: the flag's value unless it is zero, else the
// environment variable's, else def.
func duration(flagValue time.Duration, getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	if flagValue != 0 {
		return flagValue, nil
	}
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return def, fmt.Errorf("%s %q: want a duration such as 30s, 30m or 12h", name, v)
	}
	return d, nil
}

var userinfo = regexp.MustCompile(`//[^/@]*@`)

// redact hides a password inside a URL before it is printed, even when the URL does not
// parse.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return userinfo.ReplaceAllString(raw, "//xxxxx@")
	}
	if u.User == nil {
		return raw
	}
	return u.Redacted()
}
