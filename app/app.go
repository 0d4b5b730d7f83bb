// Package app wires Cunlu together: configuration → database → services → web server.
// main.go only embeds the files and calls Run; tests call Run or New the same way.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/audio"
	"cunlu/app/config"
	"cunlu/app/course"
	"cunlu/app/db"
	"cunlu/app/demo"
	"cunlu/app/progress"
	"cunlu/app/records"
	"cunlu/app/report"
	"cunlu/app/sandbox"
	"cunlu/app/web"
)

// Assets are the folders shipped inside the binary.
type Assets struct {
	Templates fs.FS // templates/
	Static    fs.FS // static/
	Courses   fs.FS // courses/
}

// SubAssets returns the three folders of a file system holding the module root (the
// embedded copy, or the source folder in editing mode).
func SubAssets(root fs.FS) (Assets, error) {
	var a Assets
	var err error
	if a.Templates, err = fs.Sub(root, "templates"); err != nil {
		return a, err
	}
	if a.Static, err = fs.Sub(root, "static"); err != nil {
		return a, err
	}
	a.Courses, err = fs.Sub(root, "courses")
	return a, err
}

// App is a running Cunlu: its database, services and HTTP server.
type App struct {
	cfg      config.Config
	log      *slog.Logger
	db       *gorm.DB
	Accounts *account.Service
	Courses  *course.Library
	Progress *progress.Service
	Shop     *sandbox.Service
	Web      *web.Server
	ln       net.Listener
	srv      *http.Server
}

// Run is the whole program: it parses args, starts the server and serves until ctx ends.
// It returns the process exit code.
func Run(ctx context.Context, assets Assets, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "courses" {
		return runCourses(assets, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "loadgen" {
		return runLoadgen(ctx, assets, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "records" {
		return runRecords(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "backup" {
		return runBackup(ctx, args[1:], getenv, stdout, stderr)
	}
	cfg, err := config.Parse(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "cunlu: configuration: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if cfg.DevDir != "" {
		dir, err := filepath.Abs(cfg.DevDir)
		if err == nil {
			assets, err = SubAssets(os.DirFS(dir))
		}
		if err != nil {
			fmt.Fprintf(stderr, "cunlu: -dev %s: %v\n", cfg.DevDir, err)
			return 2
		}
		log.Info("serving templates, static files and courses from disk", "dir", dir)
	}
	a, err := New(ctx, cfg, assets, log, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu: %v\n", err)
		return 1
	}
	defer a.Close()
	if err := a.Listen(); err != nil {
		fmt.Fprintf(stderr, "cunlu: %v\n", err)
		return 1
	}
	open := cfg.BaseURL.String()
	if cfg.BaseURLDefault {
		// No public URL configured: point at the port really listened on (":0" picks one).
		_, port, _ := net.SplitHostPort(a.Addr())
		open = "http://localhost:" + port
	}
	fmt.Fprintf(stdout, "Cunlu is running: open %s (listening on %s)\n", open, a.Addr())
	// Parsing the courses and loading the catalogue left tens of MB of garbage: give it
	// back to the system now rather than carry it as resident memory.
	debug.FreeOSMemory()
	if err := a.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "cunlu: %v\n", err)
		return 1
	}
	return 0
}

// New opens the database, migrates it, loads demo data or makes sure an admin exists, and
// builds the web server. It does not listen yet.
func New(ctx context.Context, cfg config.Config, assets Assets, log *slog.Logger, stdout io.Writer) (*App, error) {
	start := time.Now()
	lib, findings, err := course.NewLibrary(assets.Courses, sandbox.KnownTask, cfg.DevDir != "")
	if err != nil {
		return nil, err
	}
	if len(findings) > 0 {
		for _, f := range findings {
			log.Error("course problem", "at", f.String())
		}
		return nil, fmt.Errorf("the courses have %d problems; run `cunlu courses lint` to list them", len(findings))
	}
	key, made, err := loadKey(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	if made {
		log.Warn("made a new secret key: back it up with the database; without it every PIN must be set again", "file", cfg.KeyFile)
	}
	g, err := db.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, db: g, Courses: lib}
	a.Progress = progress.NewService(g, lib, nil)
	a.Accounts = account.NewService(g, account.Options{IdleTimeout: cfg.IdleTimeout, PINKey: key})
	a.Shop = sandbox.NewService(g, a.Accounts, a.Progress, nil)
	if err := a.Shop.LoadCatalog(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if cfg.Demo {
		loaded, err := demo.Load(ctx, a.Accounts)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("load demo data: %w", err)
		}
		if loaded {
			if err := demo.LoadClasses(ctx, a.Accounts, key, lib.Catalog()); err != nil {
				a.Close()
				return nil, fmt.Errorf("load demo data: %w", err)
			}
			fmt.Fprintln(stdout, "Demo data loaded.")
		}
		fmt.Fprintln(stdout, demo.SignInHelp)
	} else {
		pw, err := a.Accounts.EnsureAdmin(ctx)
		if err != nil {
			a.Close()
			return nil, err
		}
		if pw != "" {
			fmt.Fprintf(stdout, "First start: an administrator account was created.\n  login:    admin\n  password: %s\nThis password is shown only once. Sign in and change it under 我的账户 / My account.\n", pw)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Web, err = web.New(web.Options{
		Accounts:       a.Accounts,
		Courses:        lib,
		Progress:       a.Progress,
		Shop:           a.Shop,
		Reports:        report.NewService(g, lib, nil),
		Audio:          audio.NewService(g, a.Accounts, nil),
		Records:        records.NewService(g, a.Accounts, key, nil),
		CourseFiles:    assets.Courses,
		Ping:           a.ping,
		Templates:      assets.Templates,
		Static:         assets.Static,
		Reload:         cfg.DevDir != "",
		BaseURL:        cfg.BaseURL,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         log,
		Registry:       reg,
		RequestTimeout: cfg.RequestTimeout,
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	log.Info("started", "database", dbKind(cfg.DatabaseURL), "courses", len(lib.Catalog().Courses),
		"lessons", lib.Catalog().LessonCount(), "elapsed", time.Since(start).Round(time.Millisecond))
	return a, nil
}

func dbKind(url string) string {
	if db.IsPostgres(url) {
		return "postgres"
	}
	return "sqlite:" + url
}

func (a *App) ping(ctx context.Context) error {
	sqlDB, err := a.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Handler returns the HTTP handler, for tests that do not need a real listener.
func (a *App) Handler() http.Handler { return a.Web }

// Listen opens the listening socket (port 0 picks a free one).
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.ln = ln
	return nil
}

// Addr is the address the server listens on, once Listen has run.
func (a *App) Addr() string { return a.ln.Addr().String() }

// Serve answers requests until ctx ends, then lets requests in flight finish (up to 20
// seconds) before returning.
func (a *App) Serve(ctx context.Context) error {
	a.srv = &http.Server{
		Handler:           a.Web,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- a.srv.Serve(a.ln) }()
	if a.cfg.PprofAddr != "" {
		go a.servePprof(ctx)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// servePprof serves Go's profiler (CPU, heap, goroutines) on the configured loopback
// address until ctx ends: bench/speed.sh profiles the server under load with it.
func (a *App) servePprof(ctx context.Context) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: a.cfg.PprofAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	a.log.Info("profiler listening", "addr", a.cfg.PprofAddr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Warn("profiler", "err", err)
	}
}

// Close closes the database.
func (a *App) Close() error {
	if a.db == nil {
		return nil
	}
	err := db.Close(a.db)
	a.db = nil
	return err
}

// runCourses runs the "courses" subcommands: "courses lint [-v] [DIR]" checks the course
// files (the embedded copy, or the courses folder DIR) as Load does to serve them and
// against the editorial rules of course.Lint (the interface messages too, for the
// glossary). It prints every finding with its file and line, then each course's quiz cue
// figures (with -v, the questions whose right option is the longest), and exits 1 when
// there are findings.
func runCourses(assets Assets, args []string, stdout, stderr io.Writer) int {
	verbose := len(args) > 1 && args[1] == "-v"
	if verbose {
		args = slices.Delete(slices.Clone(args), 1, 2)
	}
	if len(args) == 0 || args[0] != "lint" || len(args) > 2 {
		fmt.Fprintln(stderr, "usage: cunlu courses lint [-v] [DIR]")
		return 2
	}
	fsys := assets.Courses
	if len(args) == 2 {
		fsys = os.DirFS(args[1])
	}
	cat, findings, err := course.Load(fsys, sandbox.KnownTask)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu: %v\n", err)
		return 1
	}
	texts := map[string][]byte{}
	locales := web.LocaleFiles()
	names, err := fs.Glob(locales, "*.toml")
	if err != nil {
		fmt.Fprintf(stderr, "cunlu: %v\n", err)
		return 1
	}
	for _, name := range names {
		if texts["app/web/locales/"+name], err = fs.ReadFile(locales, name); err != nil {
			fmt.Fprintf(stderr, "cunlu: %v\n", err)
			return 1
		}
	}
	report, err := course.Lint(fsys, cat, texts)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu: %v\n", err)
		return 1
	}
	findings = append(findings, report.Findings...)
	for _, f := range findings {
		fmt.Fprintln(stdout, f)
	}
	for _, c := range report.Cues {
		fmt.Fprintln(stdout, "cues", c)
		if verbose {
			for _, h := range c.Hits {
				fmt.Fprintf(stdout, "  right option longest: %s/%s\n", c.Course, h)
			}
		}
	}
	if len(findings) > 0 {
		fmt.Fprintf(stderr, "%d problems\n", len(findings))
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d courses, %d lessons, no problems\n", len(cat.Courses), cat.LessonCount())
	return 0
}

// runLoadgen runs "cunlu loadgen [-scale county|tenth|small] [flags]": it fills an empty database
// (DATABASE_URL or -database-url, SQLite or PostgreSQL) with a generated county for
// measuring speed at scale. Sign in as loadcoord / load-test-pass; villagers also with their
// phone and PIN (demo.LoadPhone, demo.LoadPIN).
func runLoadgen(ctx context.Context, assets Assets, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	scale := "county"
	var rest []string
	for i := 0; i < len(args); i++ {
		if args[i] == "-scale" && i+1 < len(args) {
			scale = args[i+1]
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	size, ok := map[string]demo.LoadSize{
		"county": demo.CountyScale,
		"small":  {Townships: 2, Villages: 3, Partners: 60, Villagers: 120, Answers: 6000, ShopOrders: 500, ActiveWeeks: 8, BusyShopperOrders: 2000},
		// A tenth of a county: with "county", how cost grows when the data grows ×10.
		"tenth": {Townships: 20, Villages: 25, Partners: 1000, Villagers: 3000, Answers: 100_000, ShopOrders: 20_000, ActiveWeeks: 8, BusyShopperOrders: 2000},
	}[scale]
	if !ok {
		fmt.Fprintf(stderr, "cunlu loadgen: -scale must be county, tenth or small\n")
		return 2
	}
	cfg, err := config.Parse(rest, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu loadgen: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	lib, findings, err := course.NewLibrary(assets.Courses, sandbox.KnownTask, false)
	if err != nil || len(findings) > 0 {
		fmt.Fprintf(stderr, "cunlu loadgen: courses: %v %v\n", err, findings)
		return 1
	}
	g, err := db.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu loadgen: %v\n", err)
		return 1
	}
	defer db.Close(g)
	key, _, err := loadKey(cfg.KeyFile)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu loadgen: %v\n", err)
		return 1
	}
	accounts := account.NewService(g, account.Options{PINKey: key})
	if err := sandbox.NewService(g, accounts, nil, nil).LoadCatalog(ctx); err != nil {
		fmt.Fprintf(stderr, "cunlu loadgen: %v\n", err)
		return 1
	}
	start := time.Now()
	fmt.Fprintf(stdout, "Generating a %s-scale data set into %s …\n", scale, dbKind(cfg.DatabaseURL))
	if err := demo.Generate(ctx, g, lib.Catalog(), size, accounts.HashPassword, accounts.HashPIN, stdout); err != nil {
		fmt.Fprintf(stderr, "cunlu loadgen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Done in %s. Sign in as loadcoord / %s.\n", time.Since(start).Round(time.Second), demo.LoadPassword)
	return 0
}
