# syntax=docker/dockerfile:1
# Multi-stage build: a static natverk binary (pure Go: SQLite and tz data
# are compiled in) in a distroless image, running as non-root.
FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/natverk ./cmd/natverk

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/natverk /usr/local/bin/natverk
USER nonroot:nonroot
ENV NATVERK_DATA=/var/lib/natverk NATVERK_HTTP_ADDR=0.0.0.0:8080 NATVERK_INBOUND_ADDR=0.0.0.0:2525 NATVERK_LOG_FORMAT=json
EXPOSE 8080 2525
ENTRYPOINT ["/usr/local/bin/natverk"]
CMD ["serve"]
