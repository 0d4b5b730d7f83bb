// Command cunlu serves the Cunlu training platform. Everything lives in package app;
// this file only embeds the shipped folders and hands over.
package main

import (
	"context"
	"embed"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"cunlu/app"
)

//go:embed templates static courses
var files embed.FS

func main() {
	os.Exit(run())
}

func run() int {
	assets, err := app.SubAssets(files)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cunlu:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.Run(ctx, assets, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
}
