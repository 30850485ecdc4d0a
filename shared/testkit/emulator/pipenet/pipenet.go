// Package pipenet is an in-memory network: a net.Listener whose
// connections are net.Pipe ends, and the dialer that reaches it. A server
// and its clients that talk through it can run inside a testing/synctest
// bubble, where a goroutine waiting on a pipe is durably blocked and time
// is virtual: a benchmark then runs hours of an account's rate limits and
// latency in the seconds its CPU needs.
package pipenet

import (
	"context"
	"errors"
	"net"
	"sync"
)

// Listener accepts the connections Dial makes.
type Listener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// Listen makes a listener; create it inside the bubble that uses it.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for the next Dial.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and every later Dial.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is a placeholder: the network has no addresses.
func (l *Listener) Addr() net.Addr { return addr{} }

// Dial connects to the listener whatever the address (http.Transport's
// DialContext).
func (l *Listener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, errors.New("pipenet: listener closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type addr struct{}

func (addr) Network() string { return "pipe" }
func (addr) String() string  { return "pipe" }
