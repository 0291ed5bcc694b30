// Command netdesk runs the inquiry desk: netdesk serve | route | config check | version.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the network's time zone must load in a minimal container
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

const usage = `netdesk — the inquiry desk of an inter-agency network

Usage:
  netdesk serve                      run every enabled part (see README: configuration)
  netdesk route [--json] [TEXT | -]  classify one text as the router would
  netdesk config check [FILE]        validate a network file and the environment
  netdesk mail check [FILE]          log in to the mailbox and the SMTP server as serve would; send nothing
  netdesk hash-password [--bcrypt]   print a password hash for staff[].password_hash (password on stdin)
  netdesk version                    print the version
`

// run is main without the process: tests call it with their own streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr, getenv)
	case "route":
		return route(args[1:], stdin, stdout, stderr, getenv)
	case "config":
		if len(args) < 2 || args[1] != "check" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return configCheck(args[2:], stdout, stderr, getenv)
	case "mail":
		if len(args) < 2 || args[1] != "check" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return mailCheck(ctx, args[2:], stdout, stderr, getenv)
	case "hash-password":
		return hashPassword(args[1:], stdin, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "netdesk", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "netdesk: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
