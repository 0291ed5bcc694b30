# syntax=docker/dockerfile:1
# Build: a static binary (no cgo), version stamped from the build argument.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/netdesk ./cmd/netdesk

# Run: distroless static image, non-root. The binary embeds the default
# network, the time zone database and the CA roots it needs come from the image.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/netdesk /usr/local/bin/netdesk
USER nonroot:nonroot
ENV NETDESK_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/netdesk"]
CMD ["serve"]
