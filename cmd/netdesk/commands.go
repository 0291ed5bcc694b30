package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/unmigration-iraq/netdesk/config"
	"github.com/unmigration-iraq/netdesk/desk"
	"github.com/unmigration-iraq/netdesk/router"
)

// loadConfig reads NETDESK_CONFIG (or path, when given) and the environment.
func loadConfig(path string, getenv func(string) string) (*config.Config, error) {
	if path == "" {
		path = getenv("NETDESK_CONFIG")
	}
	return config.Load(path, getenv)
}

func printProblems(w io.Writer, err error) {
	var p config.Problems
	if errors.As(err, &p) {
		for _, line := range p {
			fmt.Fprintln(w, line)
		}
		return
	}
	fmt.Fprintln(w, err)
}

func configCheck(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, code := configArg("netdesk config check [FILE]", args, stdout, stderr, getenv)
	if cfg == nil {
		return code
	}
	if err := router.Check(desk.Topics(cfg)); err != nil {
		fmt.Fprintf(stdout, "%s: topics: %v\n", cfg.Source, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d agencies, %d topics, %d staff)\n", cfg.Source, len(cfg.Agencies), len(cfg.Topics), len(cfg.Staff))
	return 0
}

// configArg loads the network file named by the command's one optional
// argument (else NETDESK_CONFIG or the built-in one) with the environment.
// On a problem it prints it and returns nil with the exit code.
func configArg(usage string, args []string, stdout, stderr io.Writer, getenv func(string) string) (*config.Config, int) {
	if len(args) > 1 {
		fmt.Fprintln(stderr, "usage: "+usage)
		return nil, 2
	}
	path := ""
	if len(args) == 1 {
		path = args[0]
	}
	cfg, err := loadConfig(path, getenv)
	if err != nil {
		printProblems(stdout, err)
		return nil, 1
	}
	return cfg, 0
}

func route(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("route", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the decision as JSON")
	lang := fs.String("lang", "", "language hint (en, ar, ckb, kmr); detected when empty")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var text string
	switch rest := fs.Args(); {
	case len(rest) == 0 || (len(rest) == 1 && rest[0] == "-"):
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			fmt.Fprintln(stderr, "netdesk route: reading standard input:", err)
			return 1
		}
		text = string(b)
	default:
		text = strings.Join(rest, " ")
	}
	if strings.TrimSpace(text) == "" {
		fmt.Fprintln(stderr, "netdesk route: no text (give it as an argument or on standard input)")
		return 2
	}
	cfg, err := loadConfig("", getenv)
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	r, err := newRouter(cfg, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "netdesk route:", err)
		return 1
	}
	d := r.Route(text, *lang)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(d)
		return 0
	}
	fmt.Fprintf(stdout, "language: %s\ntopic:    %s\nagency:   %s\nsupport:  %s\nurgent:   %t\nmatched:  %s\n",
		d.Language, d.Topic, d.Agency, strings.Join(d.Support, ", "), d.Urgent, strings.Join(d.Matched, "; "))
	return 0
}

// newRouter trains the router, or reads the models trained for the same
// corpus and topics before from the user's cache directory
// ($XDG_CACHE_HOME/netdesk, ~/.cache/netdesk): a second instead of a few
// milliseconds for each `netdesk route` and each start.
func newRouter(cfg *config.Config, getenv func(string) string) (*router.Router, error) {
	topics := desk.Topics(cfg)
	dir := getenv("XDG_CACHE_HOME")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".cache")
		}
	}
	if dir == "" {
		return router.New(topics)
	}
	return router.NewCached(topics, filepath.Join(dir, "netdesk"))
}
