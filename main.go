// Command cunlu serves the Cunlu training platform. Everything lives in package app;
// this file only embeds the shipped folders and hands over.
package main

import (
	"context"
	"embed"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"cunlu/app"
	"cunlu/app/db"
)

//go:embed templates static courses
var files embed.FS

func main() {
	os.Exit(run())
}

// memoryLimit is the Go heap's soft limit unless GOMEMLIMIT says otherwise: near it the
// garbage collector runs more often instead of letting the heap grow, so the whole process
// (with SQLite's page cache and the program itself) stays within the 100 MB of DESIGN.md.
const memoryLimit = 40 << 20

func run() int {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	if os.Getenv("MALLOC_ARENA_MAX") == "" {
		db.LimitMallocArenas()
	}
	assets, err := app.SubAssets(files)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cunlu:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.Run(ctx, assets, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
}
