package pipenet_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws-commander/commander/shared/testkit/emulator/pipenet"
)

// An HTTP server and client talk over the listener inside a synctest
// bubble, where a 10-minute handler returns at once on virtual time; a
// closed listener refuses both sides.
func TestListener(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, ln *pipenet.Listener, c *http.Client)
	}{
		{"a request is served, on virtual time", func(t *testing.T, ln *pipenet.Listener, c *http.Client) {
			start := time.Now()
			resp, err := c.Get("http://any.host/slow")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != "done" || time.Since(start) != 10*time.Minute {
				t.Errorf("got %q after %s, want done after 10m", body, time.Since(start))
			}
		}},
		{"a closed listener refuses", func(t *testing.T, ln *pipenet.Listener, c *http.Client) {
			ln.Close()
			if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Accept = %v, want net.ErrClosed", err)
			}
			if _, err := ln.Dial(context.Background(), "tcp", "x:1"); err == nil {
				t.Error("Dial after Close succeeded")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ln := pipenet.Listen()
				srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					time.Sleep(10 * time.Minute)
					io.WriteString(w, "done")
				})}
				go srv.Serve(ln)
				tr := &http.Transport{DialContext: ln.Dial}
				tc.run(t, ln, &http.Client{Transport: tr})
				tr.CloseIdleConnections()
				srv.Close()
			})
		})
	}
}
