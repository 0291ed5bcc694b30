package main

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPassword(t *testing.T) {
	var out, errb bytes.Buffer
	if code := hashPassword(nil, strings.NewReader("a long staff passphrase\n"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	h := strings.TrimSpace(out.String())
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=4$") || strings.Contains(out.String(), "passphrase") || errb.Len() != 0 {
		t.Errorf("argon2id: %q (stderr %q)", out.String(), errb.String())
	}

	out.Reset()
	if code := hashPassword([]string{"--bcrypt"}, strings.NewReader("a long staff passphrase\r\n"), &out, &errb); code != 0 {
		t.Fatalf("bcrypt exit %d: %s", code, errb.String())
	}
	if bcrypt.CompareHashAndPassword(bytes.TrimSpace(out.Bytes()), []byte("a long staff passphrase")) != nil {
		t.Errorf("bcrypt hash %q does not match (line ending not trimmed?)", out.String())
	}

	for name, c := range map[string]struct {
		args  []string
		stdin string
		code  int
	}{
		"empty input":          {nil, "", 1},
		"empty line":           {nil, "\nsecond line", 1},
		"password as argument": {[]string{"hunter2hunter2"}, "", 2},
		"unknown flag":         {[]string{"--md5"}, "x\n", 2},
		"bcrypt too long":      {[]string{"--bcrypt"}, strings.Repeat("p", 73) + "\n", 1},
		"invalid UTF-8":        {nil, "pass\xffword-long-enough\n", 1},
		"help":                 {[]string{"-h"}, "", 0},
	} {
		out.Reset()
		errb.Reset()
		if code := hashPassword(c.args, strings.NewReader(c.stdin), &out, &errb); code != c.code || out.Len() != 0 {
			t.Errorf("%s: exit %d (want %d), stdout %q", name, code, c.code, out.String())
		}
	}

	out.Reset()
	errb.Reset()
	if code := hashPassword(nil, strings.NewReader("short\n"), &out, &errb); code != 0 || !strings.Contains(errb.String(), "weak") {
		t.Errorf("short password: exit %d, stderr %q", code, errb.String())
	}
}
