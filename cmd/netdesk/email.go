package main

import "context"

// emailChannel wires the IMAP listener and the SMTP sender.
func emailChannel(ctx context.Context, w wiring) ([]component, error) {
	return nil, nil
}
