package spark

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/spark-connect-go/spark/client/channel"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// remote is a parsed Spark Connect address (sc://host:port/;param=value;...). Its String never shows
// the token.
type remote struct {
	host    string
	port    int
	token   string
	useSSL  bool
	user    string
	headers map[string]string
	local   bool // the project's own server (make spark)
}

// parseRemote reads a Spark Connect connection string as Spark's clients do: sc://host[:port] (port
// 15002 by default), then optional ;key=value parameters after a slash: token (a bearer token),
// use_ssl (true/false), user_id, and any other as a request header.
func parseRemote(s string) (*remote, error) {
	bad := func(why string) error {
		return fmt.Errorf("%s: expected a Spark Connect address such as sc://spark-host:15002 or sc://spark-host:443/;use_ssl=true;token=..., found %s (%s)",
			KeyRemote, redactRemote(s), why)
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, bad("not a URL")
	}
	if u.Scheme != "sc" {
		return nil, bad("the scheme must be sc://")
	}
	if u.Hostname() == "" {
		return nil, bad("no host")
	}
	r := &remote{host: u.Hostname(), port: 15002, headers: map[string]string{}}
	if p := u.Port(); p != "" {
		if r.port, err = strconv.Atoi(p); err != nil || r.port <= 0 || r.port > 65535 {
			return nil, bad("the port must be a number from 1 to 65535")
		}
	}
	if u.Path != "" && !strings.HasPrefix(u.Path, "/;") && u.Path != "/" {
		return nil, bad("parameters go after a slash and semicolon: sc://host:port/;token=...")
	}
	for _, kv := range strings.Split(strings.TrimPrefix(u.Path, "/"), ";") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, bad(fmt.Sprintf("parameter %q has no value", k))
		}
		switch k {
		case "token":
			r.token = v
		case "use_ssl":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, bad("use_ssl must be true or false")
			}
			r.useSSL = b
		case "user_id":
			r.user = v
		case "session_id", "user_agent":
			// chosen by the client
		default:
			r.headers[k] = v
		}
	}
	// A token travels only over TLS, except to a server on this machine.
	if r.token != "" && !r.loopback() {
		r.useSSL = true
	}
	return r, nil
}

func (r *remote) loopback() bool {
	if r.host == "localhost" {
		return true
	}
	ip := net.ParseIP(r.host)
	return ip != nil && ip.IsLoopback()
}

// String is the address without secrets: sc://host:port, plus ";use_ssl=true" and ";token=<redacted>"
// when set.
func (r *remote) String() string {
	s := fmt.Sprintf("sc://%s", net.JoinHostPort(r.host, strconv.Itoa(r.port)))
	if r.useSSL {
		s += "/;use_ssl=true"
	}
	return s
}

// redactRemote masks every parameter value of a connection string but use_ssl and user_id (a token
// above all), wherever the parameter sits, for messages about a string that may be malformed.
func redactRemote(s string) string {
	return remoteParam.ReplaceAllStringFunc(s, func(m string) string {
		sep, kv := m[:1], m[1:]
		k, _, _ := strings.Cut(kv, "=")
		if k == "use_ssl" || k == "user_id" {
			return m
		}
		return sep + k + "=<redacted>"
	})
}

var remoteParam = regexp.MustCompile(`[;/?&][A-Za-z0-9_.-]+=[^;&/?]*`)

// builder makes the gRPC connection for spark-connect-go: TLS with the system's roots when use_ssl,
// plaintext otherwise (loopback only when a token is sent), the token as a bearer header. It also keeps
// the connection, for interrupting operations.
type builder struct {
	r *remote

	mu        sync.Mutex
	conn      *grpc.ClientConn
	sessionID string                  // seen in the requests (see interceptors)
	streams   map[*trackedStream]bool // operations in flight
}

var _ channel.Builder = (*builder)(nil)

func (b *builder) Build(ctx context.Context) (*grpc.ClientConn, error) {
	var creds credentials.TransportCredentials
	if b.r.useSSL {
		roots, err := x509.SystemCertPool()
		if err != nil {
			return nil, fmt.Errorf("loading the system's CA certificates for %s: %w", b.r, err)
		}
		creds = credentials.NewTLS(&tls.Config{RootCAs: roots, ServerName: b.r.host, MinVersion: tls.VersionTLS12})
	} else {
		creds = insecure.NewCredentials()
	}
	// The token and headers go with every call, whichever client method makes it (spark-connect-go
	// forgets its own headers on some).
	md := make(map[string]string, len(b.r.headers)+1)
	for k, v := range b.r.headers {
		md[strings.ToLower(k)] = v
	}
	if b.r.token != "" {
		md["authorization"] = "Bearer " + b.r.token
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithPerRPCCredentials(callHeaders{md: md, secure: b.r.useSSL}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128 << 20)),
	}, b.interceptors()...)
	conn, err := grpc.NewClient(net.JoinHostPort(b.r.host, strconv.Itoa(b.r.port)), opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to Spark at %s: %w", b.r, err)
	}
	b.mu.Lock()
	b.conn = conn
	b.mu.Unlock()
	return conn, nil
}

func (b *builder) User() string {
	if b.r.user != "" {
		return b.r.user
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "replicalab"
}

// Headers is empty: callHeaders sends them with every call.
func (b *builder) Headers() map[string]string { return map[string]string{} }

// callHeaders adds the token and headers to every gRPC call.
type callHeaders struct {
	md     map[string]string
	secure bool
}

func (c callHeaders) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return c.md, nil
}

// RequireTransportSecurity is false only for plaintext to this machine (see parseRemote).
func (c callHeaders) RequireTransportSecurity() bool { return c.secure }

func (b *builder) SessionId() string { return "" }

func (b *builder) UserAgent() string {
	return fmt.Sprintf("replicalab spark-connect-go os/%s go/%s", runtime.GOOS, runtime.Version())
}
