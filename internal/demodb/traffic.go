package demodb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/jackc/pgx/v5"
)

// TrafficOptions shape Traffic.
type TrafficOptions struct {
	// Rate is the number of write operations per second (an operation writes 1 to 6 rows); 0 means 20.
	Rate float64
	// Duration stops the traffic after that long; 0 means until ctx is done.
	Duration time.Duration
	// Out receives one line per second (rows written, replica lag) and a final summary; nil for none.
	Out io.Writer
}

// TrafficStats sum up a Traffic run.
type TrafficStats struct {
	Ops, Rows   int64
	Elapsed     time.Duration
	MaxLagBytes int64 // the largest replica lag seen at the once-a-second checks
}

// Traffic keeps writing to the primary as the marketplace application would: new events and logins,
// RFQs, quotes, orders with their items, payments and status changes. It returns when ctx is done
// (Ctrl-C) or after Duration; ending that way is not an error.
func (c *Cluster) Traffic(ctx context.Context, opts TrafficOptions) (TrafficStats, error) {
	c.mu.Lock()
	if !c.saved {
		c.mu.Unlock()
		return TrafficStats{}, fmt.Errorf("no demo database in %q (start one with: go run ./scripts/demodb start)", c.dir)
	}
	servers := c.servers()
	c.mu.Unlock()
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	rate := opts.Rate
	if rate <= 0 {
		rate = 20
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	app, err := c.appConn(ctx, servers[0])
	if err != nil {
		return TrafficStats{}, ignoreDone(ctx, err)
	}
	defer app.Close(context.WithoutCancel(ctx))
	monitor, err := c.superConn(ctx, servers[0], "postgres")
	if err != nil {
		return TrafficStats{}, ignoreDone(ctx, err)
	}
	defer monitor.Close(context.WithoutCancel(ctx))
	replica, _ := c.superConn(ctx, servers[1], "postgres") // the lag shows "replica unreachable" without it
	if replica != nil {
		defer replica.Close(context.WithoutCancel(ctx))
	}

	g := &trafficGen{rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
	if err := app.QueryRow(ctx, `SELECT (SELECT coalesce(max(id), 1) FROM users), (SELECT coalesce(max(id), 1) FROM companies),
		(SELECT coalesce(max(id), 1) FROM suppliers), (SELECT coalesce(max(id), 1) FROM parts)`).Scan(&g.maxUser, &g.maxCompany, &g.maxSupplier, &g.maxPart); err != nil {
		return TrafficStats{}, ignoreDone(ctx, fmt.Errorf("reading id ranges (is the database seeded?): %w", err))
	}
	fmt.Fprintf(out, "traffic: writing to the primary %s:%d at %g operations/s; watching the replica on port %d (Ctrl-C stops)\n",
		host, servers[0].Port, rate, servers[1].Port)

	var stats TrafficStats
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	next, report := start, start.Add(time.Second)
	var rowsAtReport int64
	for ctx.Err() == nil {
		now := time.Now()
		if !now.Before(report) {
			lag := c.lagLine(ctx, monitor, replica, &stats)
			fmt.Fprintf(out, "%5.0fs  +%-5d rows (total %s)  %s\n", now.Sub(start).Seconds(), stats.Rows-rowsAtReport, numfmt.Int(stats.Rows), lag)
			rowsAtReport = stats.Rows
			report = report.Add(time.Second)
			continue
		}
		if now.Before(next) {
			wait := min(next.Sub(now), report.Sub(now))
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			continue
		}
		n, err := g.op(ctx, app)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			stats.Elapsed = time.Since(start)
			return stats, fmt.Errorf("writing to the primary: %w", err)
		}
		stats.Ops++
		stats.Rows += n
		next = next.Add(interval)
		if behind := time.Now().Add(-time.Second); next.Before(behind) {
			next = behind // do not burst to catch up more than a second
		}
	}
	stats.Elapsed = time.Since(start)
	fmt.Fprintf(out, "traffic stopped after %.1fs: %s operations, %s rows written (%.0f rows/s)\n",
		stats.Elapsed.Seconds(), numfmt.Int(stats.Ops), numfmt.Int(stats.Rows), float64(stats.Rows)/stats.Elapsed.Seconds())
	return stats, nil
}

func ignoreDone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// appConn connects like the marketplace application: as the owner, through the socket, with its
// statements counted by pg_stat_statements.
func (c *Cluster) appConn(ctx context.Context, primary server) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port, cfg.User, cfg.Password, cfg.Database = c.st.SocketDir, uint16(primary.Port), superuser, "", Database
	cfg.TLSConfig, cfg.Fallbacks = nil, nil
	cfg.ConnectTimeout = 10 * time.Second
	cfg.RuntimeParams = map[string]string{"application_name": "marketplace-app"}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the primary: %w", err)
	}
	return conn, nil
}

// lagLine measures the first replica's lag: bytes between the primary's WAL position and the
// replica's replay position, and the primary's own replay_lag (0 when caught up and idle).
func (c *Cluster) lagLine(ctx context.Context, primary, replica *pgx.Conn, stats *TrafficStats) string {
	if replica == nil {
		return "replica unreachable"
	}
	var current string
	var secs *float64
	if err := primary.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text,
		(SELECT extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication ORDER BY application_name LIMIT 1)`).Scan(&current, &secs); err != nil {
		return "primary unreachable"
	}
	var replay *string
	if err := replica.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text`).Scan(&replay); err != nil || replay == nil {
		return "replica unreachable"
	}
	p, err1 := ParseLSN(current)
	r, err2 := ParseLSN(*replay)
	var lag int64
	if err1 == nil && err2 == nil && p > r {
		lag = int64(p - r)
	}
	stats.MaxLagBytes = max(stats.MaxLagBytes, lag)
	s := 0.0
	if secs != nil {
		s = *secs
	}
	return fmt.Sprintf("replica lag %s B, %.3f s", numfmt.Int(lag), s)
}

type trafficGen struct {
	rng                                       *rand.Rand
	maxUser, maxCompany, maxSupplier, maxPart int64
}

func (g *trafficGen) id(max int64) int64 { return 1 + g.rng.Int64N(max) }

func (g *trafficGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }

func (g *trafficGen) ip() string {
	if g.rng.IntN(5) == 0 {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(g.rng.IntN(256)), 15: byte(1 + g.rng.IntN(254))}).String()
	}
	return fmt.Sprintf("%d.%d.%d.%d", []int{24, 47, 62, 73, 81, 91, 104, 112, 117, 142, 183, 203, 213}[g.rng.IntN(13)], g.rng.IntN(256), g.rng.IntN(256), 1+g.rng.IntN(254))
}

const pickBuyer = `(SELECT id, currency FROM companies WHERE kind <> 'supplier' AND deleted_at IS NULL AND id >= $1 ORDER BY id LIMIT 1)
	UNION ALL (SELECT id, currency FROM companies WHERE kind <> 'supplier' AND deleted_at IS NULL ORDER BY id LIMIT 1) LIMIT 1`

const pickSupplier = `(SELECT id, currency, company_id FROM suppliers WHERE id >= $2 ORDER BY id LIMIT 1)
	UNION ALL (SELECT id, currency, company_id FROM suppliers ORDER BY id LIMIT 1) LIMIT 1`

// op performs one application write and returns the number of rows it wrote.
func (g *trafficGen) op(ctx context.Context, conn *pgx.Conn) (int64, error) {
	var n int64
	var err error
	switch r := g.rng.IntN(100); {
	case r < 45: // browsing
		kind := g.pick("page_view", "page_view", "page_view", "search", "rfq.viewed")
		payload := map[string]any{"path": g.pick("/", "/rfqs", "/orders", "/suppliers", "/parts", "/messages"), "duration_ms": 50 + g.rng.IntN(4000)}
		if kind == "search" {
			payload = map[string]any{"q": g.pick("M8 bolt", "bearing 6204", "anodized bracket", "o-ring nbr", "stepper motor"), "results": g.rng.IntN(250)}
		}
		var user any = g.id(g.maxUser)
		if kind == "page_view" && g.rng.IntN(4) == 0 {
			user = nil
		}
		err = conn.QueryRow(ctx, `WITH e AS (INSERT INTO events (kind, user_id, company_id, payload, ip, user_agent)
			VALUES ($1, $2::bigint, (SELECT company_id FROM users WHERE id = $2::bigint), $3, $4::inet, $5) RETURNING 1)
			SELECT count(*) FROM e`, kind, user, payload, g.ip(), g.pick("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "python-requests/2.32.3")).Scan(&n)
	case r < 60: // login
		err = conn.QueryRow(ctx, `WITH u AS (UPDATE users SET last_login_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id, company_id),
			e AS (INSERT INTO events (kind, user_id, company_id, payload, ip)
			      SELECT 'login', u.id, u.company_id, jsonb_build_object('method', $2::text, 'mfa', $3::bool, 'success', true), $4::inet FROM u RETURNING 1)
			SELECT (SELECT count(*) FROM u) + (SELECT count(*) FROM e)`,
			g.id(g.maxUser), g.pick("password", "sso", "magic_link"), g.rng.IntN(3) == 0, g.ip()).Scan(&n)
	case r < 70: // a buyer posts an RFQ
		err = conn.QueryRow(ctx, `WITH b AS (`+pickBuyer+`),
			p AS ((SELECT id, name FROM parts WHERE id >= $2 AND deleted_at IS NULL ORDER BY id LIMIT 1)
			      UNION ALL (SELECT id, name FROM parts WHERE deleted_at IS NULL ORDER BY id LIMIT 1) LIMIT 1),
			r AS (INSERT INTO rfqs (buyer_company_id, created_by, part_id, title, quantity, currency, need_by, status)
			      SELECT b.id, (SELECT id FROM users WHERE company_id = b.id AND deleted_at IS NULL ORDER BY id LIMIT 1),
			             p.id, p.name || ' × ' || $3::int, $3::int, b.currency, current_date + $4::int, 'open'
			      FROM b, p RETURNING id, buyer_company_id, created_by, quantity),
			e AS (INSERT INTO events (kind, user_id, company_id, payload)
			      SELECT 'rfq.created', r.created_by, r.buyer_company_id, jsonb_build_object('rfq_id', r.id, 'quantity', r.quantity) FROM r RETURNING 1)
			SELECT (SELECT count(*) FROM r) + (SELECT count(*) FROM e)`,
			g.id(g.maxCompany), g.id(g.maxPart), []int{10, 50, 100, 500, 1000}[g.rng.IntN(5)], 14+g.rng.IntN(60)).Scan(&n)
	case r < 82: // a supplier quotes on a recent open RFQ
		err = conn.QueryRow(ctx, `WITH r AS (SELECT id, currency FROM rfqs WHERE status = 'open' ORDER BY created_at DESC LIMIT 1 OFFSET $1),
			s AS (SELECT id, company_id FROM suppliers WHERE id = $2),
			q AS (INSERT INTO quotes (rfq_id, supplier_id, unit_price, currency, lead_time, valid_until, status)
			      SELECT r.id, s.id, $3::numeric, r.currency, make_interval(days => $4::int), current_date + 30, 'submitted'
			      FROM r, s RETURNING id, rfq_id, supplier_id, unit_price, currency),
			e AS (INSERT INTO events (kind, company_id, payload)
			      SELECT 'quote.submitted', (SELECT company_id FROM s), jsonb_build_object('rfq_id', q.rfq_id, 'quote_id', q.id,
			             'unit_price', q.unit_price::text, 'currency', q.currency) FROM q RETURNING 1)
			SELECT (SELECT count(*) FROM q) + (SELECT count(*) FROM e)`,
			g.rng.IntN(20), g.id(g.maxSupplier), fmt.Sprintf("%.2f", 0.5+g.rng.Float64()*120), 5+g.rng.IntN(40)).Scan(&n)
	case r < 90: // a catalogue order with its items
		err = conn.QueryRow(ctx, `WITH b AS (`+pickBuyer+`), s AS (`+pickSupplier+`),
			items AS (SELECT p.id AS part_id, p.unit_price, row_number() OVER (ORDER BY p.id) AS line_no
			          FROM parts p WHERE p.supplier_id = (SELECT id FROM s) AND p.deleted_at IS NULL ORDER BY p.id LIMIT $3),
			t AS (SELECT sum(unit_price * $4::int) AS subtotal FROM items),
			n AS (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id),
			o AS (INSERT INTO orders (id, order_number, buyer_company_id, supplier_id, placed_by, status, currency, subtotal, total)
			      SELECT n.id, 'PO-' || to_char(now(), 'YYYY') || '-' || to_char(n.id, 'FM000000'), b.id, s.id,
			             (SELECT id FROM users WHERE company_id = b.id AND deleted_at IS NULL ORDER BY id LIMIT 1),
			             'pending', s.currency, t.subtotal, t.subtotal
			      FROM n, b, s, t WHERE t.subtotal IS NOT NULL RETURNING id, buyer_company_id, placed_by),
			li AS (INSERT INTO order_items (order_id, line_no, part_id, quantity, unit_price, line_total)
			       SELECT o.id, items.line_no, items.part_id, $4::int, items.unit_price, items.unit_price * $4::int FROM o, items RETURNING 1),
			e AS (INSERT INTO events (kind, user_id, company_id, payload)
			      SELECT 'order.placed', o.placed_by, o.buyer_company_id, jsonb_build_object('order_id', o.id, 'items', $3::int) FROM o RETURNING 1)
			SELECT (SELECT count(*) FROM o) + (SELECT count(*) FROM li) + (SELECT count(*) FROM e)`,
			g.id(g.maxCompany), g.id(g.maxSupplier), 1+g.rng.IntN(4), []int{1, 5, 10, 50, 100}[g.rng.IntN(5)]).Scan(&n)
	case r < 96: // a pending order gets paid
		err = conn.QueryRow(ctx, `WITH o AS (SELECT id, total, currency FROM orders WHERE status = 'pending' AND deleted_at IS NULL
			                       ORDER BY placed_at LIMIT 1 OFFSET $1 FOR UPDATE SKIP LOCKED),
			p AS (INSERT INTO payments (order_id, amount, currency, method, status, provider, provider_ref, paid_at)
			      SELECT o.id, o.total, o.currency, $2::text, 'succeeded', CASE WHEN $2::text = 'wire' THEN NULL ELSE 'stripe' END,
			             'pi_' || substr(md5(random()::text), 1, 24), now() FROM o RETURNING order_id),
			u AS (UPDATE orders SET status = 'paid' FROM p WHERE orders.id = p.order_id
			      RETURNING orders.id, orders.buyer_company_id, orders.placed_by, orders.total, orders.currency),
			e AS (INSERT INTO events (kind, user_id, company_id, payload)
			      SELECT 'order.paid', u.placed_by, u.buyer_company_id, jsonb_build_object('order_id', u.id, 'amount', u.total::text, 'currency', u.currency)
			      FROM u RETURNING 1)
			SELECT (SELECT count(*) FROM p) + (SELECT count(*) FROM u) + (SELECT count(*) FROM e)`,
			g.rng.IntN(5), g.pick("card", "wire", "ach")).Scan(&n)
	case r < 99: // a paid order ships
		err = conn.QueryRow(ctx, `WITH o AS (SELECT id FROM orders WHERE status = 'paid' AND deleted_at IS NULL ORDER BY placed_at LIMIT 1 FOR UPDATE SKIP LOCKED),
			u AS (UPDATE orders SET status = 'shipped', shipped_at = now() FROM o WHERE orders.id = o.id RETURNING orders.id, orders.buyer_company_id),
			e AS (INSERT INTO events (kind, company_id, payload) SELECT 'order.shipped', u.buyer_company_id, jsonb_build_object('order_id', u.id) FROM u RETURNING 1)
			SELECT (SELECT count(*) FROM u) + (SELECT count(*) FROM e)`).Scan(&n)
	default: // a pending order is cancelled
		err = conn.QueryRow(ctx, `WITH o AS (SELECT id FROM orders WHERE status = 'pending' AND deleted_at IS NULL ORDER BY placed_at DESC LIMIT 1 FOR UPDATE SKIP LOCKED),
			u AS (UPDATE orders SET status = 'cancelled', cancelled_reason = $1 FROM o WHERE orders.id = o.id RETURNING orders.id)
			SELECT count(*) FROM u`, g.pick("Buyer changed requirements", "Duplicate order")).Scan(&n)
	}
	if err != nil && errors.Is(err, context.Canceled) {
		return 0, err
	}
	return n, err
}
