package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/unmigration-iraq/netdesk/web"
)

const hashPasswordUsage = `usage: netdesk hash-password [--bcrypt] < file-with-the-password

Reads a staff member's dashboard password from standard input (the first
line) and prints its hash for staff[].password_hash in the network file.
For example:  read -rs PW && printf '%s\n' "$PW" | netdesk hash-password
`

// hashPassword is `netdesk hash-password [--bcrypt]`: it reads a password
// from the first line of standard input and prints the hash to put in the
// network file as staff[].password_hash (argon2id by default). The password
// is never taken as an argument, so it stays out of shell history and ps.
func hashPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hash-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useBcrypt := fs.Bool("bcrypt", false, "make a bcrypt hash (cost 12) instead of argon2id")
	fs.Usage = func() {
		_, _ = io.WriteString(stderr, hashPasswordUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "netdesk hash-password: give the password on standard input, not as an argument")
		return 2
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "netdesk hash-password: reading standard input:", err)
		return 1
	}
	password := strings.TrimRight(line, "\r\n")
	switch {
	case password == "":
		fmt.Fprintln(stderr, "netdesk hash-password: no password on standard input")
		return 1
	case !utf8.ValidString(password):
		fmt.Fprintln(stderr, "netdesk hash-password: the password is not valid UTF-8")
		return 1
	case *useBcrypt && len(password) > 72:
		fmt.Fprintln(stderr, "netdesk hash-password: bcrypt reads at most 72 bytes; use argon2id (the default) for a longer password")
		return 1
	case utf8.RuneCountInString(password) < 12:
		fmt.Fprintln(stderr, "netdesk hash-password: warning: a password of fewer than 12 characters is weak")
	}
	hash, err := web.HashPassword(password)
	if *useBcrypt {
		hash, err = web.HashPasswordBcrypt(password)
	}
	if err != nil {
		fmt.Fprintln(stderr, "netdesk hash-password:", err)
		return 1
	}
	fmt.Fprintln(stdout, hash)
	return 0
}
