package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSlowClients (issue 10): clients that send their request headers a
// byte at a time, or never finish a body, are cut off by the server's
// timeouts instead of holding connections forever, while other clients
// are served meanwhile; an oversized header block is refused with 431.
func TestSlowClients(t *testing.T) {
	s := startService(t, nil)
	u, _ := url.Parse(s.base)

	// A handful of slowloris connections: one header byte every 500 ms.
	const slow = 8
	var wg sync.WaitGroup
	closedAfter := make([]time.Duration, slow)
	for i := range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			start := time.Now()
			req := "GET /healthz HTTP/1.1\r\nHost: " + u.Host + "\r\nX-Slow: " + strings.Repeat("a", 200)
			for j := 0; j < len(req); j++ {
				if _, err := conn.Write([]byte{req[j]}); err != nil {
					closedAfter[i] = time.Since(start)
					return
				}
				// The server's close shows as EOF (or a reset) on a read.
				conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
				if _, err := conn.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
					closedAfter[i] = time.Since(start)
					return
				}
			}
		}()
	}

	// Meanwhile a normal client is served.
	time.Sleep(time.Second)
	for i := 0; i < 5; i++ {
		resp, err := s.http.Get(s.base + "/healthz")
		if err != nil {
			t.Fatalf("a normal request while slow clients hold connections: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("healthz while slow clients hold connections: %d", resp.StatusCode)
		}
	}
	wg.Wait()
	for i, d := range closedAfter {
		// The header timeout is 5 s; the slow client needed 100 s to send
		// its request. A zero means the server never closed it.
		if d == 0 {
			t.Errorf("slow client %d: the server kept the connection until the whole request was sent", i)
		}
	}
	t.Logf("slow clients cut off after %v", closedAfter)

	// A body that never arrives: headers promise 1 MiB, 10 bytes come. The
	// server answers or closes once its read timeout passes; here we only
	// check that a stalled body does not block other requests.
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /api/v1/networks HTTP/1.1\r\nHost: "+u.Host+"\r\nAuthorization: Bearer "+s.token+
		"\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{\"name\":\"")
	resp, err := s.http.Get(s.base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz while a body stalls: %v %v", resp, err)
	}
	resp.Body.Close()

	// A header block over the 64 KiB limit: 431.
	hc, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	io.WriteString(hc, "GET /healthz HTTP/1.1\r\nHost: "+u.Host+"\r\nX-Big: "+strings.Repeat("b", 200<<10)+"\r\n\r\n")
	hc.SetReadDeadline(time.Now().Add(30 * time.Second))
	big, err := http.ReadResponse(bufio.NewReader(hc), nil)
	if err != nil {
		t.Fatalf("oversized headers: %v", err)
	}
	big.Body.Close()
	if big.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("oversized headers: %d, want 431", big.StatusCode)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
