package main

import (
	"context"
	"net/http"
)

// telegramChannel wires the bot: the poller (or webhook handler) and the sender.
func telegramChannel(ctx context.Context, w wiring) ([]component, http.Handler, error) {
	return nil, nil, nil
}
