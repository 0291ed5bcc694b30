# netdesk — make test is the whole test suite (it installs the servers it needs).
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
# A count, not a duration: Go 1.26's fuzz coordinator can fail a clean run
# with "context deadline exceeded" when a duration runs out (go.dev/issue/75804,
# fixed in Go 1.27); a count has no deadline to race.
FUZZTIME  ?= 100000x

.PHONY: test deps vet unit fuzz bench run build docker

test: deps vet
	NETDESK_REQUIRE_REDIS=1 $(GO) test -race -timeout 30m ./...

deps:
	@bash scripts/test-deps.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

# Fast tests only (no subprocess crash tests).
unit:
	$(GO) test -short ./...

# Short fuzzing runs of every fuzz target (CI runs these too).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench: deps
	$(GO) test -run='^$$' -bench=. -benchtime=3s ./queue/ ./web/ ./router/

run:
	$(GO) run ./cmd/netdesk serve

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/netdesk ./cmd/netdesk

docker:
	docker build -t netdesk:$(VERSION) .
