package replica

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A replica can stop answering without closing anything: the server is
// frozen or overloaded, or the network between drops packets. Then:
//
//   - connecting and verifying (Open, Check, Lag) fail within the connect
//     timeout (REPLICALAB_CONNECT_TIMEOUT), as a *ConnectError of Problem
//     ProblemTimeout;
//   - a query already running fails one second after statement_timeout
//     (the server would have cancelled it by then) with a *QueryError of
//     Kind "server not answering" saying what to check, and the connection
//     is closed (the next query reconnects);
//   - Close returns at once, leaving the closing of connections to a
//     server that does not answer to the background;
//   - TCP keepalives (after 10 s idle, every 5 s, 3 probes) and a TCP user
//     timeout of 30 s make the kernel notice a dropped network well before
//     the statement timeout, even during a long query.
const (
	silenceMargin     = time.Second
	cancelGrace       = time.Second            // from a cancelled context to closing the connection (at once for a silent server)
	closeWait         = 200 * time.Millisecond // how long Close waits for connections to close
	keepAliveIdle     = 10 * time.Second
	keepAliveInterval = 5 * time.Second
	keepAliveCount    = 3
	tcpUserTimeout    = 30 * time.Second
)

// errSilent is the cause of the guard's deadline: the server did not answer
// within statement_timeout; errSilentVerify that of verifying a server
// (within the connect timeout).
var (
	errSilent       = errors.New("replica: the server stopped answering")
	errSilentVerify = errors.New("replica: the server did not answer the check")
)

// watchHandler is pgx's cancel-request handler, except when the guard's
// deadline fired: the server did not answer in statement_timeout, so there
// is no point waiting for it before closing the connection.
type watchHandler struct {
	inner *pgconn.CancelRequestContextWatcherHandler
}

func newWatchHandler(c *pgconn.PgConn) *watchHandler {
	return &watchHandler{inner: &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}}
}

func (h *watchHandler) HandleCancel(ctx context.Context) {
	h.inner.DeadlineDelay = cancelGrace
	if c := context.Cause(ctx); errors.Is(c, errSilent) || errors.Is(c, errSilentVerify) {
		h.inner.DeadlineDelay = 0
	}
	h.inner.HandleCancel(ctx)
}

func (h *watchHandler) HandleUnwatchAfterCancel() { h.inner.HandleUnwatchAfterCancel() }

// explain is Explain, plus the case of a server that stopped answering,
// recognised by the cause of the guard's deadline on ctx.
func (p *Pool) explain(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(context.Cause(ctx), errSilentVerify) && ctx.Err() != nil {
		h, port, _ := net.SplitHostPort(p.s.Hosts[0])
		return &QueryError{Kind: NotAnswering, err: err,
			Hint: fmt.Sprintf("%s did not answer a one-line check within the connect timeout (%s): the server is frozen or overloaded, "+
				"or the network to it is down. Check that it runs and accepts connections (pg_isready -h %s -p %s), the network "+
				"between you (VPN, firewall), and the server's logs", strings.Join(p.s.Hosts, ","), p.connectTimeout(), h, port)}
	}
	if errors.Is(context.Cause(ctx), errSilent) && ctx.Err() != nil {
		host := strings.Join(p.s.Hosts, ",")
		h, port, _ := net.SplitHostPort(p.s.Hosts[0])
		return &QueryError{Kind: NotAnswering, err: err,
			Hint: fmt.Sprintf("%s sent nothing for statement_timeout (%s) + %s, so the query was abandoned and its connection closed: "+
				"the server is frozen or overloaded, or the network to it is down. Check that it runs and accepts connections "+
				"(pg_isready -h %s -p %s), the network between you (VPN, firewall), and the server's logs; the next query reconnects",
				host, p.s.StatementTimeout, silenceMargin, h, port)}
	}
	return Explain(err)
}

// verifyDeadline bounds the verification of a server (connect, check,
// measure the lag) by the connect timeout when ctx has no deadline.
func (p *Pool) verifyDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, p.connectTimeout(), errSilentVerify)
}

func (p *Pool) connectTimeout() time.Duration {
	if p.s.ConnectTimeout > 0 {
		return p.s.ConnectTimeout
	}
	return DefaultConnectTimeout
}

// closeBounded closes pool, waiting at most closeWait: a connection to a
// server that does not answer (its cancel request pending) finishes closing
// in the background.
func closeBounded(pool *pgxpool.Pool) {
	done := make(chan struct{})
	go func() {
		pool.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeWait):
	}
}

// dialFunc connects with TCP keepalives and a user timeout, so that a
// dropped network is noticed by the kernel rather than by a query's timeout.
func dialFunc(connectTimeout time.Duration) pgconn.DialFunc {
	d := &net.Dialer{
		Timeout: connectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount,
		},
		Control: setUserTimeout,
	}
	return d.DialContext
}
