-- The demo marketplace: schema and deterministic synthetic data.
--
-- Everything random comes from pg_temp.rnd(n, salt), a hash of a row number and a salt, so the same
-- scale always produces the same rows, whatever the plan or the number of workers. Timestamps are
-- relative to a fixed anchor ({{anchor}}), never now().
--
-- Each "-- step: NAME" starts a batch that Go sends as one simple-protocol message; the last
-- statement of a batch is the INSERT whose row count is reported. {{name}} placeholders are replaced
-- by Go before sending.

-- step: schema
SET TimeZone = 'UTC';
SET max_parallel_workers_per_gather = 0;
SET synchronous_commit = off;
SET work_mem = '64MB';
SET maintenance_work_mem = '256MB';
SET client_min_messages = warning;
SET jit = off;
DROP TABLE IF EXISTS audit_log, events, payments, order_items, orders, quotes, rfqs, parts, suppliers,
    users, companies CASCADE;
DROP TYPE IF EXISTS order_status, company_kind CASCADE;

CREATE OR REPLACE FUNCTION pg_temp.rnd(n bigint, salt bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ((hashint8extended(n, salt) >> 11) & 9007199254740991)::double precision / 9007199254740992.0 $$;

CREATE OR REPLACE FUNCTION pg_temp.pick(arr anyarray, n bigint, salt bigint) RETURNS anyelement
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT arr[1 + floor(pg_temp.rnd(n, salt) * cardinality(arr))::int] $$;

CREATE OR REPLACE FUNCTION pg_temp.uuid4(n bigint, salt bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (substr(h, 1, 12) || '4' || substr(h, 14, 3)
              || substr('89ab', 1 + get_byte(decode(substr(h, 17, 2), 'hex'), 0) % 4, 1)
              || substr(h, 18, 15))::uuid
      FROM md5(n::text || ':' || salt::text) AS h $$;

CREATE OR REPLACE FUNCTION pg_temp.ascii(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT translate(s, 'ÄÖÜäöüÉÈÊéèêëÓÔóôñłŁçåÅøØśźżćńáàâíìïîúùûÿý',
                          'AOUaouEEEeeeeOOoonlLcaAoOszzcnaaaiiiiuuuyy') $$;

CREATE OR REPLACE FUNCTION pg_temp.slug(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT trim(BOTH '-' FROM lower(regexp_replace(pg_temp.ascii(s), '[^A-Za-z0-9]+', '-', 'g'))) $$;

-- Where companies are: country, city, IANA zone, currency, locale, web suffix, dialling code,
-- legal-form suffixes and the USD exchange rate used to price things locally.
CREATE TEMP TABLE locs (i int PRIMARY KEY, country char(2), city text, tz text, currency char(3),
                        locale text, tld text, dial text, legal text[], fx numeric);
INSERT INTO locs VALUES
 (1, 'CA', 'Toronto', 'America/Toronto', 'CAD', 'en-CA', 'ca', '1', '{Inc.,Ltd.}', 1.37),
 (2, 'CA', 'Mississauga', 'America/Toronto', 'CAD', 'en-CA', 'ca', '1', '{Inc.,Ltd.}', 1.37),
 (3, 'CA', 'Montréal', 'America/Toronto', 'CAD', 'fr-CA', 'ca', '1', '{Inc.,Ltée}', 1.37),
 (4, 'CA', 'Vancouver', 'America/Vancouver', 'CAD', 'en-CA', 'ca', '1', '{Inc.,Ltd.}', 1.37),
 (5, 'US', 'Detroit', 'America/Detroit', 'USD', 'en-US', 'com', '1', '{Inc.,LLC,Corp.}', 1),
 (6, 'US', 'Chicago', 'America/Chicago', 'USD', 'en-US', 'com', '1', '{Inc.,LLC,Corp.}', 1),
 (7, 'US', 'Houston', 'America/Chicago', 'USD', 'en-US', 'com', '1', '{Inc.,LLC}', 1),
 (8, 'US', 'Cleveland', 'America/New_York', 'USD', 'en-US', 'com', '1', '{Inc.,LLC}', 1),
 (9, 'US', 'San Jose', 'America/Los_Angeles', 'USD', 'en-US', 'com', '1', '{Inc.,LLC,Corp.}', 1),
 (10, 'US', 'Charlotte', 'America/New_York', 'USD', 'en-US', 'com', '1', '{Inc.,LLC}', 1),
 (11, 'MX', 'Monterrey', 'America/Monterrey', 'MXN', 'es-MX', 'mx', '52', '{"S.A. de C.V."}', 18.2),
 (12, 'DE', 'Stuttgart', 'Europe/Berlin', 'EUR', 'de-DE', 'de', '49', '{GmbH,"GmbH & Co. KG",AG}', 0.92),
 (13, 'DE', 'München', 'Europe/Berlin', 'EUR', 'de-DE', 'de', '49', '{GmbH,AG}', 0.92),
 (14, 'DE', 'Chemnitz', 'Europe/Berlin', 'EUR', 'de-DE', 'de', '49', '{GmbH,"GmbH & Co. KG"}', 0.92),
 (15, 'FR', 'Lyon', 'Europe/Paris', 'EUR', 'fr-FR', 'fr', '33', '{SAS,SARL}', 0.92),
 (16, 'IT', 'Brescia', 'Europe/Rome', 'EUR', 'it-IT', 'it', '39', '{S.r.l.,S.p.A.}', 0.92),
 (17, 'GB', 'Birmingham', 'Europe/London', 'GBP', 'en-GB', 'co.uk', '44', '{Ltd,PLC}', 0.79),
 (18, 'PL', 'Wrocław', 'Europe/Warsaw', 'PLN', 'pl-PL', 'pl', '48', '{"Sp. z o.o."}', 3.98),
 (19, 'SE', 'Göteborg', 'Europe/Stockholm', 'SEK', 'sv-SE', 'se', '46', '{AB}', 10.6),
 (20, 'CN', 'Shenzhen', 'Asia/Shanghai', 'CNY', 'zh-CN', 'cn', '86', '{"Co., Ltd."}', 7.2),
 (21, 'CN', 'Dongguan', 'Asia/Shanghai', 'CNY', 'zh-CN', 'cn', '86', '{"Co., Ltd."}', 7.2),
 (22, 'CN', 'Ningbo', 'Asia/Shanghai', 'CNY', 'zh-CN', 'cn', '86', '{"Co., Ltd."}', 7.2),
 (23, 'JP', 'Osaka', 'Asia/Tokyo', 'JPY', 'ja-JP', 'jp', '81', '{"Co., Ltd.",K.K.}', 151),
 (24, 'KR', 'Changwon', 'Asia/Seoul', 'KRW', 'ko-KR', 'kr', '82', '{"Co., Ltd."}', 1350),
 (25, 'IN', 'Pune', 'Asia/Kolkata', 'INR', 'en-IN', 'in', '91', '{"Pvt. Ltd."}', 83.4),
 (26, 'TW', 'Taichung', 'Asia/Taipei', 'TWD', 'zh-TW', 'tw', '886', '{"Co., Ltd."}', 32.1);

CREATE TEMP TABLE fx AS SELECT DISTINCT currency, fx FROM locs;

CREATE TYPE company_kind AS ENUM ('buyer', 'supplier', 'both');
COMMENT ON TYPE company_kind IS 'What a company does on the marketplace.';
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled', 'refunded');
COMMENT ON TYPE order_status IS 'Order lifecycle: pending -> paid -> shipped, or cancelled / refunded.';

CREATE TABLE companies (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name         text NOT NULL,
    legal_name   text,
    kind         company_kind NOT NULL,
    country_code char(2) NOT NULL,
    city         text,
    tz           text NOT NULL,
    currency     char(3) NOT NULL,
    website      text,
    settings     jsonb NOT NULL DEFAULT '{}',
    is_test      boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz,
    deleted_at   timestamptz
);
COMMENT ON TABLE companies IS 'Organisations on the marketplace: buyers post RFQs, suppliers quote, some do both.';
COMMENT ON COLUMN companies.name IS 'Display name as typed at sign-up; not unique.';
COMMENT ON COLUMN companies.legal_name IS 'Registered name with legal form; NULL until KYC is done.';
COMMENT ON COLUMN companies.kind IS 'buyer, supplier or both.';
COMMENT ON COLUMN companies.country_code IS 'ISO 3166-1 alpha-2 country of the head office.';
COMMENT ON COLUMN companies.tz IS 'IANA time zone of the head office, e.g. Europe/Berlin; timestamps are stored in UTC.';
COMMENT ON COLUMN companies.currency IS 'ISO 4217 default currency.';
COMMENT ON COLUMN companies.settings IS 'Account preferences (locale, notifications, payment terms, SSO); keys vary.';
COMMENT ON COLUMN companies.is_test IS 'Internal QA or sandbox account: exclude from business metrics.';
COMMENT ON COLUMN companies.deleted_at IS 'Soft delete: set when the account was closed; the row stays.';

CREATE TABLE users (
    id            bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    company_id    bigint NOT NULL,
    email         text NOT NULL,
    full_name     text,
    job_title     text,
    phone         text,
    locale        text,
    is_test       boolean NOT NULL DEFAULT false,
    last_login_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
COMMENT ON TABLE users IS 'People who log in; each belongs to one company.';
COMMENT ON COLUMN users.email IS 'Login e-mail. Unique as typed, not case-insensitively: a few people signed up twice with different capitalisation.';
COMMENT ON COLUMN users.full_name IS 'NULL when the sign-up was never completed.';
COMMENT ON COLUMN users.phone IS 'Optional, free-form international number.';
COMMENT ON COLUMN users.is_test IS 'QA account (qa+...@example.com) or member of a test company.';
COMMENT ON COLUMN users.last_login_at IS 'NULL for invited users who never logged in.';
COMMENT ON COLUMN users.deleted_at IS 'Soft delete.';

CREATE TABLE suppliers (
    id              bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    company_id      bigint NOT NULL,
    capabilities    text[] NOT NULL,
    certifications  text[],
    rating          numeric(3,2),
    lead_time       interval NOT NULL,
    min_order_value numeric(12,2),
    currency        char(3) NOT NULL,
    verified        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE suppliers IS 'Supplier profile of a company that sells (kind supplier or both).';
COMMENT ON COLUMN suppliers.capabilities IS 'Manufacturing processes offered, e.g. {cnc_milling,anodizing}.';
COMMENT ON COLUMN suppliers.certifications IS 'Quality certifications; NULL = not declared, {} = declared none.';
COMMENT ON COLUMN suppliers.rating IS 'Average buyer rating 1.00-5.00; NULL before the first review.';
COMMENT ON COLUMN suppliers.lead_time IS 'Typical time from order to shipment.';
COMMENT ON COLUMN suppliers.min_order_value IS 'Minimum order value in the supplier currency; NULL = none.';
COMMENT ON COLUMN suppliers.verified IS 'Passed the marketplace audit.';

CREATE TABLE parts (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    supplier_id bigint NOT NULL,
    sku         text NOT NULL,
    name        text NOT NULL,
    category    text NOT NULL,
    material    text,
    process     text,
    unit_price  numeric(12,2) NOT NULL,
    currency    char(3) NOT NULL,
    weight_g    numeric(10,1),
    tags        text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
COMMENT ON TABLE parts IS 'Catalogue parts offered by suppliers at a list price.';
COMMENT ON COLUMN parts.sku IS 'Marketplace stock-keeping unit, e.g. FAS-000123.';
COMMENT ON COLUMN parts.unit_price IS 'List price per piece in parts.currency.';
COMMENT ON COLUMN parts.weight_g IS 'Weight in grams; NULL when the supplier did not say.';
COMMENT ON COLUMN parts.tags IS 'Free tags (rohs, in_stock, ...).';
COMMENT ON COLUMN parts.deleted_at IS 'Soft delete: withdrawn from the catalogue.';

CREATE TABLE rfqs (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    buyer_company_id  bigint NOT NULL,
    created_by        bigint,
    part_id           bigint,
    title             text NOT NULL,
    quantity          integer NOT NULL CHECK (quantity > 0),
    target_unit_price numeric(12,2),
    currency          char(3) NOT NULL,
    need_by           date,
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed', 'awarded')),
    notes             text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz
);
COMMENT ON TABLE rfqs IS 'Requests for quote posted by buyers.';
COMMENT ON COLUMN rfqs.created_by IS 'User who posted it; NULL when created through the API.';
COMMENT ON COLUMN rfqs.part_id IS 'Catalogue part asked for; NULL for custom parts described in the title.';
COMMENT ON COLUMN rfqs.target_unit_price IS 'Price the buyer hopes for, in rfqs.currency; often NULL.';
COMMENT ON COLUMN rfqs.need_by IS 'Requested delivery date (buyer local date); NULL = flexible.';
COMMENT ON COLUMN rfqs.status IS 'draft, open, closed (no award) or awarded.';
COMMENT ON COLUMN rfqs.closed_at IS 'When it was closed or awarded; NULL while draft or open.';

CREATE TABLE quotes (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    rfq_id      uuid NOT NULL,
    supplier_id bigint NOT NULL,
    unit_price  numeric(12,2) NOT NULL,
    currency    char(3) NOT NULL,
    lead_time   interval NOT NULL,
    valid_until date,
    status      text NOT NULL CHECK (status IN ('submitted', 'withdrawn', 'accepted', 'rejected')),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE quotes IS 'Supplier answers to RFQs.';
COMMENT ON COLUMN quotes.lead_time IS 'Promised time from order to shipment.';
COMMENT ON COLUMN quotes.valid_until IS 'Last day the price holds.';
COMMENT ON COLUMN quotes.status IS 'submitted, withdrawn, accepted or rejected.';

CREATE TABLE orders (
    id               bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    order_number     text NOT NULL,
    buyer_company_id bigint NOT NULL,
    supplier_id      bigint NOT NULL,
    quote_id         bigint,
    placed_by        bigint,
    status           order_status NOT NULL DEFAULT 'pending',
    currency         char(3) NOT NULL,
    subtotal         numeric(12,2) NOT NULL,
    shipping         numeric(12,2),
    total            numeric(12,2) NOT NULL,
    shipping_address jsonb,
    placed_at        timestamptz NOT NULL DEFAULT now(),
    shipped_at       timestamptz,
    delivered_on     date,
    cancelled_reason text,
    deleted_at       timestamptz
);
COMMENT ON TABLE orders IS 'Purchase orders, from an accepted quote or straight from the catalogue.';
COMMENT ON COLUMN orders.order_number IS 'Human-facing number, PO-<year>-<id>.';
COMMENT ON COLUMN orders.quote_id IS 'Accepted quote; NULL for catalogue orders.';
COMMENT ON COLUMN orders.status IS 'pending, paid, shipped, cancelled or refunded (enum order_status).';
COMMENT ON COLUMN orders.shipping IS 'Shipping charged; NULL when included or not yet known.';
COMMENT ON COLUMN orders.total IS 'subtotal + shipping, in orders.currency.';
COMMENT ON COLUMN orders.delivered_on IS 'Delivery date at the buyer (local date); NULL until delivered.';
COMMENT ON COLUMN orders.deleted_at IS 'Soft delete (orders created by mistake).';

CREATE TABLE order_items (
    id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    order_id   bigint NOT NULL,
    line_no    integer NOT NULL,
    part_id    bigint NOT NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(12,2) NOT NULL,
    line_total numeric(12,2) NOT NULL
);
COMMENT ON TABLE order_items IS 'Order lines.';
COMMENT ON COLUMN order_items.unit_price IS 'Agreed price per piece in the order currency.';

CREATE TABLE payments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     bigint NOT NULL,
    amount       numeric(12,2) NOT NULL,
    currency     char(3) NOT NULL,
    method       text NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded')),
    provider     text,
    provider_ref text,
    failure_code text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    paid_at      timestamptz
);
COMMENT ON TABLE payments IS 'Payment attempts; an order can have a failed attempt before the one that succeeded.';
COMMENT ON COLUMN payments.method IS 'card, ach, sepa_debit, wire or alipay.';
COMMENT ON COLUMN payments.provider_ref IS 'Reference at the payment provider; NULL while pending.';
COMMENT ON COLUMN payments.failure_code IS 'Why a failed attempt failed; NULL otherwise.';
COMMENT ON COLUMN payments.paid_at IS 'When the money arrived; NULL unless succeeded or refunded.';

CREATE TABLE events (
    id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL,
    user_id     bigint,
    company_id  bigint,
    payload     jsonb NOT NULL DEFAULT '{}',
    ip          inet,
    user_agent  text
);
COMMENT ON TABLE events IS 'Product analytics events (append-only).';
COMMENT ON COLUMN events.kind IS 'page_view, login, search, rfq.created, quote.submitted, order.placed, ...';
COMMENT ON COLUMN events.user_id IS 'NULL for anonymous visitors.';
COMMENT ON COLUMN events.payload IS 'Event-specific JSON; its keys depend on kind.';
COMMENT ON COLUMN events.ip IS 'Client address (IPv4 or IPv6); NULL when not captured.';

-- step: companies
CREATE TEMP TABLE tmp_companies AS
WITH b AS (
    SELECT g,
           pg_temp.rnd(g, 101) < 0.02 AS is_test,
           1 + floor(pg_temp.rnd(g, 102) * 26)::int AS loc,
           pg_temp.pick('{Apex,Northwind,Keystone,Ironbridge,Cascade,Summit,Polaris,"Maple Leaf","Great Lakes","Blue Ridge",Rhein,Bavaria,Hansa,Alpen,Elbe,Lakeshore,Granite,Precision,Vector,Meridian,Orion,Atlas,Pioneer,Sterling,Tri-Star,"Golden Bridge","Pearl River",Jade,"Dragon Gate",Sakura,Fuji,Hanil,Deccan,Sierra,Nordic,Baltic,Vistula,Lombard,Rhône,Brightline}'::text[], g, 103) AS prefix,
           pg_temp.pick('{"Precision Machining",Fasteners,"Tool & Die","Industrial Supply",Manufacturing,Components,Metalworks,Plastics,Robotics,Fabrication,Castings,Bearings,Electronics,"Motion Systems",Hydraulics,"Sheet Metal",Molding,Automation,Engineering,"Gear Works"}'::text[], g, 104) AS core,
           pg_temp.rnd(g, 105) AS r_kind,
           timestamp '2019-03-01' + floor((g - 1)::float8 / {{companies}} * 2650) * interval '1 day'
               + (8 + pg_temp.rnd(g, 106) * 10) * interval '1 hour' AS local_created
    FROM generate_series(1, {{companies}}) AS g
), n AS (
    SELECT b.*, l.*,
           CASE WHEN b.is_test THEN 'QA Test Company ' || b.g ELSE b.prefix || ' ' || b.core END AS name,
           b.local_created AT TIME ZONE l.tz AS created_at
    FROM b JOIN locs AS l ON l.i = b.loc
)
SELECT n.g AS id,
       n.name,
       CASE WHEN NOT n.is_test AND pg_temp.rnd(n.g, 110) >= 0.1
            THEN n.name || ' ' || pg_temp.pick(n.legal, n.g, 111) END AS legal_name,
       (CASE WHEN n.r_kind < 0.55 THEN 'buyer' WHEN n.r_kind < 0.85 THEN 'supplier' ELSE 'both' END)::company_kind AS kind,
       n.country AS country_code,
       CASE WHEN pg_temp.rnd(n.g, 112) >= 0.04 THEN n.city END AS city,
       n.tz, n.currency, n.fx, n.dial, n.locale,
       pg_temp.slug(n.name) || '.' || n.tld AS domain,
       CASE WHEN NOT n.is_test AND pg_temp.rnd(n.g, 113) >= 0.15
            THEN 'https://www.' || pg_temp.slug(n.name) || '.' || n.tld END AS website,
       jsonb_strip_nulls(jsonb_build_object(
           'locale', n.locale,
           'default_currency', n.currency,
           'net_terms_days', CASE WHEN pg_temp.rnd(n.g, 114) < 0.8 THEN pg_temp.pick('{30,45,60,90}'::int[], n.g, 115) END,
           'notifications', jsonb_build_object('email', pg_temp.rnd(n.g, 116) < 0.93,
                                               'sms', pg_temp.rnd(n.g, 117) < 0.2,
                                               'digest', pg_temp.pick('{daily,weekly,never}'::text[], n.g, 118)),
           'sso', CASE WHEN pg_temp.rnd(n.g, 119) < 0.1
                       THEN jsonb_build_object('provider', pg_temp.pick('{okta,azure_ad,google}'::text[], n.g, 120),
                                               'enforced', pg_temp.rnd(n.g, 121) < 0.5) END,
           'sandbox', CASE WHEN n.is_test THEN true END)) AS settings,
       n.is_test,
       n.created_at,
       CASE WHEN pg_temp.rnd(n.g, 122) < 0.7
            THEN n.created_at + ({{anchor}} - n.created_at) * pg_temp.rnd(n.g, 123) END AS updated_at,
       CASE WHEN pg_temp.rnd(n.g, 124) < 0.03
            THEN n.created_at + ({{anchor}} - n.created_at) * (0.5 + 0.5 * pg_temp.rnd(n.g, 125)) END AS deleted_at
FROM n;
ALTER TABLE tmp_companies ADD PRIMARY KEY (id);

INSERT INTO companies (id, name, legal_name, kind, country_code, city, tz, currency, website, settings,
                       is_test, created_at, updated_at, deleted_at)
SELECT id, name, legal_name, kind, country_code, city, tz, currency, website, settings,
       is_test, created_at, greatest(updated_at, deleted_at), deleted_at
FROM tmp_companies ORDER BY id;

-- step: users
CREATE TEMP TABLE tmp_users AS
WITH b AS (
    SELECT g,
           CASE WHEN g <= {{companies}} THEN g
                ELSE 1 + floor(power(pg_temp.rnd(g, 201), 1.6) * {{companies}})::bigint END AS company_id,
           pg_temp.pick('{Anna,Lukas,Jonas,Sophie,Maximilian,Lea,Wei,Mei,Jing,Hao,Xin,Hiroshi,Yuki,Kenji,Aiko,Min-jun,Seo-yeon,Priya,Arjun,Ananya,Rohan,Carlos,Sofía,Mateo,Valentina,Olivia,Liam,Noah,Emma,James,Mary,Michael,Sarah,David,Jennifer,Ethan,Chloé,Léa,Hugo,François,Giulia,Marco,Luca,Katarzyna,Piotr,Małgorzata,Erik,Ingrid,Björn,Oliver,Amelia,Harry,Jürgen,Zoë,Ahmed,Fatima,Omar,Daniel,Laura,Thomas}'::text[], g, 202) AS first_name,
           pg_temp.pick('{Smith,Johnson,Brown,Miller,Davis,Garcia,Rodriguez,Martinez,Wilson,Anderson,Taylor,Thomas,Moore,Martin,Lee,Wang,Li,Zhang,Liu,Chen,Yang,Huang,Zhao,Tanaka,Suzuki,Sato,Kim,Park,Choi,Patel,Sharma,Singh,Gupta,Müller,Schmidt,Schneider,Fischer,Weber,Wagner,Becker,Hoffmann,Dubois,Lefèvre,Moreau,Rossi,Russo,Bianchi,Kowalski,Nowak,Wiśniewski,Andersson,Johansson,Novák,Hernández,López,González,Tremblay,Gagnon,Roy,Côté,MacDonald,O''Brien,Nguyen}'::text[], g, 203) AS last_name,
           pg_temp.rnd(g, 204) AS r_style
    FROM generate_series(1, {{users}}) AS g
), c AS (
    SELECT b.*, co.domain, co.tz, co.dial, co.locale, co.is_test AS company_test,
           co.created_at AS company_created, co.deleted_at AS company_deleted,
           (co.is_test OR pg_temp.rnd(b.g, 205) < 0.02) AS is_test,
           CASE WHEN pg_temp.rnd(b.g, 206) < 0.05 THEN 'gmail.com' ELSE co.domain END AS email_domain,
           regexp_replace(lower(pg_temp.ascii(CASE
               WHEN b.r_style < 0.6 THEN b.first_name || '.' || b.last_name
               WHEN b.r_style < 0.8 THEN left(b.first_name, 1) || b.last_name
               WHEN b.r_style < 0.9 THEN b.first_name
               ELSE b.first_name || '_' || b.last_name END)), '[^a-z0-9._-]', '', 'g') AS local_part
    FROM b JOIN tmp_companies AS co ON co.id = b.company_id
), d AS (
    SELECT c.*,
           row_number() OVER (PARTITION BY c.local_part, c.email_domain ORDER BY c.g) AS rn,
           CASE WHEN c.g <= {{companies}} THEN c.company_created + pg_temp.rnd(c.g, 207) * interval '2 days'
                ELSE c.company_created + ({{anchor}} - c.company_created) * (0.9 * pg_temp.rnd(c.g, 207)) END AS created_at
    FROM c
)
SELECT d.g AS id, d.company_id, d.tz,
       CASE WHEN d.is_test THEN 'qa+' || d.g || '@example.com'
            ELSE d.local_part || CASE WHEN d.rn > 1 THEN d.rn::text ELSE '' END || '@' || d.email_domain END AS email,
       CASE WHEN d.is_test THEN 'QA Bot ' || d.g
            WHEN pg_temp.rnd(d.g, 208) >= 0.02 THEN d.first_name || ' ' || d.last_name END AS full_name,
       CASE WHEN pg_temp.rnd(d.g, 209) >= 0.15
            THEN pg_temp.pick('{Buyer,"Procurement Manager","Mechanical Engineer","Supply Chain Analyst","Quality Engineer","Accounts Payable","Sales Engineer","Operations Manager",CEO,"Purchasing Agent","Production Planner"}'::text[], d.g, 210) END AS job_title,
       CASE WHEN pg_temp.rnd(d.g, 211) >= 0.45
            THEN '+' || d.dial || ' ' || (100 + floor(pg_temp.rnd(d.g, 212) * 900))::int || ' '
                 || (1000000 + floor(pg_temp.rnd(d.g, 213) * 9000000))::int END AS phone,
       CASE WHEN pg_temp.rnd(d.g, 214) >= 0.3 THEN d.locale END AS locale,
       d.is_test,
       CASE WHEN pg_temp.rnd(d.g, 215) >= 0.12
            THEN d.created_at + ({{anchor}} - d.created_at) * (0.3 + 0.7 * pg_temp.rnd(d.g, 216)) END AS last_login_at,
       d.created_at,
       CASE WHEN d.company_deleted IS NOT NULL THEN greatest(d.company_deleted, d.created_at)
            WHEN pg_temp.rnd(d.g, 217) < 0.04
            THEN d.created_at + ({{anchor}} - d.created_at) * pg_temp.rnd(d.g, 218) END AS deleted_at
FROM d;

INSERT INTO users (id, company_id, email, full_name, job_title, phone, locale, is_test, last_login_at, created_at, deleted_at)
SELECT id, company_id, email, full_name, job_title, phone, locale, is_test, last_login_at, created_at, deleted_at
FROM tmp_users ORDER BY id;

-- step: duplicate sign-ups
-- Some people signed up a second time, typing their address with capitals: unique as typed, but not
-- case-insensitively.
INSERT INTO tmp_users (id, company_id, tz, email, full_name, job_title, phone, locale, is_test, last_login_at, created_at, deleted_at)
SELECT {{users}} + row_number() OVER (ORDER BY u.id), u.company_id, u.tz,
       initcap(split_part(u.email, '@', 1)) || '@' || split_part(u.email, '@', 2),
       u.full_name, u.job_title, NULL, u.locale, false,
       CASE WHEN pg_temp.rnd(u.id, 230) < 0.5 THEN u.created_at + interval '3 days' END,
       u.created_at + interval '2 days' + pg_temp.rnd(u.id, 231) * interval '20 hours',
       NULL
FROM tmp_users AS u
WHERE NOT u.is_test AND u.id % 67 = 0;
ALTER TABLE tmp_users ADD PRIMARY KEY (id);

INSERT INTO users (id, company_id, email, full_name, job_title, phone, locale, is_test, last_login_at, created_at, deleted_at)
SELECT id, company_id, email, full_name, job_title, phone, locale, is_test, last_login_at, created_at, deleted_at
FROM tmp_users WHERE id > {{users}} ORDER BY id;

-- step: suppliers
INSERT INTO suppliers (id, company_id, capabilities, certifications, rating, lead_time, min_order_value,
                       currency, verified, created_at)
SELECT row_number() OVER (ORDER BY c.id), c.id,
       coalesce(nullif(ARRAY(SELECT cap FROM unnest('{cnc_milling,cnc_turning,sheet_metal,laser_cutting,injection_molding,die_casting,3d_printing,welding,anodizing,powder_coating,pcb_assembly,forging}'::text[]) WITH ORDINALITY AS u(cap, k)
                             WHERE pg_temp.rnd(c.id * 16 + k, 301) < 0.25 ORDER BY k), '{}'),
                ARRAY[pg_temp.pick('{cnc_milling,sheet_metal,injection_molding}'::text[], c.id, 302)]),
       CASE WHEN pg_temp.rnd(c.id, 303) >= 0.3
            THEN ARRAY(SELECT cert FROM unnest('{"ISO 9001","ISO 14001","IATF 16949",AS9100D,"ISO 13485"}'::text[]) WITH ORDINALITY AS u(cert, k)
                       WHERE pg_temp.rnd(c.id * 8 + k, 304) < CASE WHEN k = 1 THEN 0.7 ELSE 0.15 END ORDER BY k) END,
       CASE WHEN pg_temp.rnd(c.id, 305) >= 0.25 THEN round((3 + 2 * pg_temp.rnd(c.id, 306))::numeric, 2) END,
       make_interval(days => 3 + floor(pg_temp.rnd(c.id, 307) * 40)::int),
       CASE WHEN pg_temp.rnd(c.id, 308) >= 0.4
            THEN round(pg_temp.pick('{100,250,500,1000,2500}'::numeric[], c.id, 309) * c.fx, 0) END,
       c.currency,
       pg_temp.rnd(c.id, 310) < 0.7,
       c.created_at + pg_temp.rnd(c.id, 311) * interval '72 hours'
FROM tmp_companies AS c
WHERE c.kind <> 'buyer'
ORDER BY c.id;

-- step: parts
CREATE TEMP TABLE part_templates (t int PRIMARY KEY, category text, pattern text, a text[], b text[], c text[],
                                  material_arg int, process text, price_usd numeric, weight_g numeric);
INSERT INTO part_templates VALUES
 (0, 'Fasteners', 'M%s hex bolt, %s, %s mm', '{5,6,8,10,12,16}', '{"A2 stainless","A4 stainless","zinc-plated steel 8.8","hot-dip galvanized 8.8"}', '{16,20,25,30,40,50,60}', 2, 'cold forging', 0.18, 12),
 (1, 'Fasteners', 'M%s nyloc nut, %s', '{4,5,6,8,10,12}', '{"A2 stainless","zinc-plated steel"}', '{}', 2, 'cold forging', 0.06, 4),
 (2, 'Fasteners', 'Socket head cap screw M%s x %s mm, %s', '{3,4,5,6,8}', '{10,12,16,20,25}', '{"12.9 black oxide","A2 stainless"}', 3, 'cold forging', 0.12, 6),
 (3, 'Bearings', '%s deep groove ball bearing, %s', '{6001,6202,6204,6205,608,6305}', '{"2RS sealed","ZZ shielded",open}', '{}', 0, 'grinding', 3.40, 60),
 (4, 'Machined parts', '%s bracket, %s', '{"6061-T6 aluminium","7075 aluminium","S235 steel","304 stainless"}', '{"anodized black","clear anodized","powder-coated RAL 9005",bead-blasted}', '{}', 1, 'cnc_milling', 14.50, 180),
 (5, 'Machined parts', 'Shaft coupling %s mm to %s mm, %s', '{5,6,8,10}', '{8,10,12,14}', '{aluminium,"303 stainless"}', 3, 'cnc_turning', 9.80, 45),
 (6, 'Sheet metal', 'Laser-cut mounting plate %s mm, %s', '{1.5,2,3,5}', '{"S235 steel","304 stainless","5052 aluminium"}', '{}', 2, 'laser_cutting', 6.20, 350),
 (7, 'Sheet metal', '%s enclosure %s mm, %s', '{Wall-mount,"19-inch rack",DIN-rail}', '{300×200×150,400×300×200,200×150×80}', '{IP65,IP54}', 0, 'sheet_metal', 48.00, 2400),
 (8, 'Plastics', 'Injection-molded %s housing, %s', '{ABS,PC/ABS,PA66-GF30,POM}', '{black,"light grey",natural}', '{}', 1, 'injection_molding', 2.10, 85),
 (9, 'Plastics', 'POM spur gear, %s teeth, module %s', '{12,18,24,36,48}', '{0.5,1,1.5,2}', '{}', 0, 'injection_molding', 1.60, 15),
 (10, 'Motion', 'NEMA %s stepper motor, %s A', '{17,23,34}', '{1.5,2.0,2.8,4.2}', '{}', 0, 'assembly', 24.00, 600),
 (11, 'Electrical', 'M12 %s-pin sensor cable, %s m, %s', '{4,5,8}', '{2,5,10}', '{PUR,PVC}', 3, 'assembly', 7.90, 120),
 (12, 'Pneumatics', 'Push-in fitting %s, %s, %s tube', '{"1/8\" BSP","1/4\" BSP",M5}', '{"nickel-plated brass",PBT}', '{"4 mm","6 mm","8 mm"}', 2, 'cnc_turning', 1.90, 18),
 (13, 'Seals', 'O-ring %s × %s mm, %s', '{10,20,32,50}', '{1.5,2,3}', '{"NBR 70","FKM 75","EPDM 70"}', 3, 'molding', 0.09, 1),
 (14, 'Castings', 'Die-cast aluminium %s, %s', '{"gearbox cover","pump housing","heat sink"}', '{A380,ADC12}', '{}', 2, 'die_casting', 11.50, 900),
 (15, 'Electronics', 'PCB assembly, %s-layer FR-4, %s', '{2,4,6}', '{"lead-free HASL",ENIG}', '{}', 0, 'pcb_assembly', 38.00, 40);

CREATE TEMP TABLE tmp_parts AS
WITH b AS (
    SELECT g,
           CASE WHEN g <= (SELECT count(*) FROM suppliers) THEN g
                ELSE 1 + floor(pg_temp.rnd(g, 401) * (SELECT count(*) FROM suppliers))::bigint END AS supplier_id,
           floor(pg_temp.rnd(g, 402) * 16)::int AS t
    FROM generate_series(1, {{parts}}) AS g
), v AS (
    SELECT b.g, b.supplier_id, t.*, s.currency, f.fx, s.created_at AS supplier_created,
           CASE WHEN cardinality(t.a) > 0 THEN pg_temp.pick(t.a, b.g, 403) END AS va,
           CASE WHEN cardinality(t.b) > 0 THEN pg_temp.pick(t.b, b.g, 404) END AS vb,
           CASE WHEN cardinality(t.c) > 0 THEN pg_temp.pick(t.c, b.g, 405) END AS vc
    FROM b
    JOIN part_templates AS t ON t.t = b.t
    JOIN suppliers AS s ON s.id = b.supplier_id
    JOIN fx AS f ON f.currency = s.currency
)
SELECT v.g AS id, v.supplier_id,
       upper(left(v.category, 3)) || '-' || to_char(v.g, 'FM000000') AS sku,
       format(v.pattern, v.va, v.vb, v.vc) AS name,
       v.category,
       CASE v.material_arg WHEN 1 THEN v.va WHEN 2 THEN v.vb WHEN 3 THEN v.vc END AS material,
       CASE WHEN pg_temp.rnd(v.g, 406) >= 0.1 THEN v.process END AS process,
       round(v.price_usd * (0.6 + 0.9 * pg_temp.rnd(v.g, 407))::numeric * v.fx,
             CASE WHEN v.currency IN ('JPY', 'KRW') THEN 0 ELSE 2 END) AS unit_price,
       v.currency,
       CASE WHEN pg_temp.rnd(v.g, 408) >= 0.15
            THEN round(v.weight_g * (0.5 + pg_temp.rnd(v.g, 409))::numeric, 1) END AS weight_g,
       ARRAY(SELECT tag FROM unnest('{rohs,reach,in_stock,made_to_order,metric,food_grade,custom}'::text[]) WITH ORDINALITY AS u(tag, k)
             WHERE pg_temp.rnd(v.g * 8 + k, 410) < 0.18 ORDER BY k) AS tags,
       CASE WHEN pg_temp.rnd(v.g, 414) < 0.7 THEN v.supplier_created + pg_temp.rnd(v.g, 411) * interval '30 days'
            ELSE v.supplier_created + ({{anchor}} - v.supplier_created) * (0.7 * pg_temp.rnd(v.g, 411)) END AS created_at,
       CASE WHEN pg_temp.rnd(v.g, 412) < 0.04
            THEN v.supplier_created + ({{anchor}} - v.supplier_created) * (0.7 + 0.3 * pg_temp.rnd(v.g, 413)) END AS deleted_at
FROM v;

INSERT INTO parts (id, supplier_id, sku, name, category, material, process, unit_price, currency, weight_g, tags, created_at, deleted_at)
SELECT id, supplier_id, sku, name, category, material, process, unit_price, currency, weight_g, tags, created_at, deleted_at
FROM tmp_parts ORDER BY id;

-- step: rfqs
-- Buyers and suppliers numbered by sign-up time, and per day how many had signed up by then (with 14
-- hours of margin for time zones), so that RFQs, quotes and orders only involve companies that existed.
CREATE TEMP TABLE tmp_buyers AS
SELECT row_number() OVER (ORDER BY created_at, id) AS i, id, tz, currency, fx, created_at
FROM tmp_companies WHERE kind <> 'supplier';
ALTER TABLE tmp_buyers ADD PRIMARY KEY (i);
CREATE INDEX ON tmp_buyers (created_at);
CREATE TEMP TABLE tmp_buyer_days AS
SELECT d::date AS day,
       coalesce((SELECT i FROM tmp_buyers WHERE created_at < d - interval '14 hours' ORDER BY created_at DESC LIMIT 1), 1) AS n
FROM generate_series(timestamptz '2020-12-01', {{anchor}} + interval '1 day', interval '1 day') AS d;
ALTER TABLE tmp_buyer_days ADD PRIMARY KEY (day);
CREATE TEMP TABLE tmp_suppliers AS
SELECT row_number() OVER (ORDER BY created_at, id) AS i, id, created_at FROM suppliers;
ALTER TABLE tmp_suppliers ADD PRIMARY KEY (i);
CREATE INDEX ON tmp_suppliers (created_at);
CREATE TEMP TABLE tmp_supplier_days AS
SELECT d::date AS day,
       coalesce((SELECT i FROM tmp_suppliers WHERE created_at < d - interval '14 hours' ORDER BY created_at DESC LIMIT 1), 1) AS n
FROM generate_series(timestamptz '2020-12-01', {{anchor}} + interval '1 day', interval '1 day') AS d;
ALTER TABLE tmp_supplier_days ADD PRIMARY KEY (day);
CREATE TEMP TABLE tmp_parts_by_created AS
SELECT row_number() OVER (ORDER BY created_at, id) AS i, id, created_at FROM parts;
ALTER TABLE tmp_parts_by_created ADD PRIMARY KEY (i);
CREATE INDEX ON tmp_parts_by_created (created_at);
CREATE TEMP TABLE tmp_part_days AS
SELECT d::date AS day,
       coalesce((SELECT i FROM tmp_parts_by_created WHERE created_at < d - interval '14 hours' ORDER BY created_at DESC LIMIT 1), 1) AS n
FROM generate_series(timestamptz '2020-12-01', {{anchor}} + interval '1 day', interval '1 day') AS d;
ALTER TABLE tmp_part_days ADD PRIMARY KEY (day);
CREATE TEMP TABLE tmp_company_users AS
SELECT company_id, row_number() OVER (PARTITION BY company_id ORDER BY id) AS k, id, created_at
FROM tmp_users WHERE id <= {{users}};
ALTER TABLE tmp_company_users ADD PRIMARY KEY (company_id, k);
CREATE TEMP TABLE tmp_company_user_counts AS
SELECT company_id, count(*) AS n FROM tmp_company_users GROUP BY company_id;
ALTER TABLE tmp_company_user_counts ADD PRIMARY KEY (company_id);

CREATE TEMP TABLE tmp_rfqs AS
WITH b AS (
    SELECT g,
           pg_temp.rnd(g, 502) < 0.7 AS from_catalogue,
           pg_temp.pick('{1,5,10,25,50,100,250,500,1000,5000}'::int[], g, 504) AS quantity,
           timestamp '2021-01-04' + floor((g - 1)::float8 / {{rfqs}} * 2000) * interval '1 day'
               + (7 + pg_temp.rnd(g, 505) * 11) * interval '1 hour' AS local_created,
           pg_temp.rnd(g, 506) AS r_status
    FROM generate_series(1, {{rfqs}}) AS g
), b2 AS (
    SELECT b.*, bu.id AS buyer_company_id, bu.currency, bu.fx, b.local_created AT TIME ZONE bu.tz AS created_at
    FROM b
    JOIN tmp_buyer_days AS bd ON bd.day = b.local_created::date
    JOIN tmp_buyers AS bu ON bu.i = 1 + floor(pg_temp.rnd(b.g, 501) * bd.n)::bigint
), c AS (
    SELECT b2.*,
           CASE WHEN pg_temp.rnd(b2.g, 508) < 0.06 THEN NULL
                WHEN cu.created_at <= b2.created_at THEN cu.id
                WHEN founder.created_at <= b2.created_at THEN founder.id END AS created_by,
           CASE WHEN p.created_at <= b2.created_at THEN p.id END AS part_id_known,
           CASE WHEN p.created_at <= b2.created_at THEN p.name END AS part_name,
           CASE WHEN p.created_at <= b2.created_at THEN p.unit_price / pf.fx * b2.fx END AS part_price
    FROM b2
    LEFT JOIN tmp_company_user_counts AS n ON n.company_id = b2.buyer_company_id
    LEFT JOIN tmp_company_users AS cu
           ON cu.company_id = b2.buyer_company_id AND cu.k = 1 + floor(pg_temp.rnd(b2.g, 507) * n.n)::bigint
    LEFT JOIN tmp_company_users AS founder ON founder.company_id = b2.buyer_company_id AND founder.k = 1
    LEFT JOIN tmp_part_days AS pd ON pd.day = b2.local_created::date AND b2.from_catalogue
    LEFT JOIN tmp_parts_by_created AS pc ON pc.i = 1 + floor(pg_temp.rnd(b2.g, 503) * pd.n)::bigint
    LEFT JOIN parts AS p ON p.id = pc.id
    LEFT JOIN fx AS pf ON pf.currency = p.currency
), s AS (
    SELECT c.*,
           CASE WHEN c.created_at > {{anchor}} - interval '14 days'
                THEN CASE WHEN c.r_status < 0.2 THEN 'draft' ELSE 'open' END
                ELSE CASE WHEN c.r_status < 0.05 THEN 'draft' WHEN c.r_status < 0.1 THEN 'open'
                          WHEN c.r_status < 0.45 THEN 'closed' ELSE 'awarded' END END AS status,
           CASE WHEN pg_temp.rnd(c.g, 509) < 0.4
                THEN round(coalesce(c.part_price, 25 * c.fx) * (0.7 + 0.3 * pg_temp.rnd(c.g, 510))::numeric,
                           CASE WHEN c.currency IN ('JPY', 'KRW') THEN 0 ELSE 2 END) END AS target_unit_price
    FROM c
)
SELECT s.g, pg_temp.uuid4(s.g, 61) AS id, s.buyer_company_id, s.created_by, s.part_id_known AS part_id,
       CASE WHEN s.part_name IS NOT NULL THEN s.part_name || ' × ' || s.quantity
            ELSE pg_temp.pick('{"Custom CNC part per drawing","Prototype enclosure","Sheet metal bracket per attached STEP","Replacement gear for packaging line","Machined manifold block, 6061","Turned shaft with keyway","Overmolded cable assembly","Welded frame, painted","Anodized heat sink, custom profile","Silicone gasket per drawing"}'::text[], s.g, 511) END AS title,
       s.quantity, s.target_unit_price, s.currency,
       CASE WHEN pg_temp.rnd(s.g, 512) >= 0.2
            THEN (s.local_created + (14 + floor(pg_temp.rnd(s.g, 513) * 76)) * interval '1 day')::date END AS need_by,
       s.status,
       CASE WHEN pg_temp.rnd(s.g, 514) < 0.3
            THEN pg_temp.pick('{"Please quote with and without anodizing.","Drawings attached; tolerances ±0.05 mm.","Need first-article inspection report.","Partial deliveries OK.","Urgent: line down.","Material certificates (EN 10204 3.1) required.","Price per piece incl. packaging, DAP our plant."}'::text[], s.g, 515) END AS notes,
       s.created_at,
       CASE WHEN s.status IN ('closed', 'awarded')
            THEN s.created_at + (2 + pg_temp.rnd(s.g, 516) * 28) * interval '1 day' END AS closed_at,
       coalesce(s.target_unit_price, s.part_price, 25 * s.fx) AS ref_price
FROM s;

INSERT INTO rfqs (id, buyer_company_id, created_by, part_id, title, quantity, target_unit_price, currency,
                  need_by, status, notes, created_at, closed_at)
SELECT id, buyer_company_id, created_by, part_id, title, quantity, target_unit_price, currency,
       need_by, status, notes, created_at, closed_at
FROM tmp_rfqs ORDER BY g;

-- step: quotes
INSERT INTO quotes (id, rfq_id, supplier_id, unit_price, currency, lead_time, valid_until, status, note, created_at)
SELECT row_number() OVER (ORDER BY r.g, q),
       r.id,
       su.id,
       round(r.ref_price * (0.7 + 0.8 * pg_temp.rnd(r.g * 8 + q, 602))::numeric,
             CASE WHEN r.currency IN ('JPY', 'KRW') THEN 0 ELSE 2 END),
       r.currency,
       make_interval(days => 5 + floor(pg_temp.rnd(r.g * 8 + q, 603) * 50)::int),
       (r.created_at + q * interval '6 hours' + interval '30 days')::date,
       CASE r.status
           WHEN 'awarded' THEN CASE WHEN q = 1 THEN 'accepted' ELSE 'rejected' END
           WHEN 'closed' THEN CASE WHEN pg_temp.rnd(r.g * 8 + q, 604) < 0.7 THEN 'rejected' ELSE 'withdrawn' END
           ELSE CASE WHEN pg_temp.rnd(r.g * 8 + q, 604) < 0.9 THEN 'submitted' ELSE 'withdrawn' END END,
       CASE WHEN pg_temp.rnd(r.g * 8 + q, 605) < 0.2
            THEN pg_temp.pick('{"Price valid for the full quantity only.","Tooling cost included.","Can deliver in two batches.","Surface finish per ISO 1302 N7.","Includes FAI report."}'::text[], r.g * 8 + q, 606) END,
       r.created_at + q * interval '6 hours' + pg_temp.rnd(r.g * 8 + q, 607) * interval '48 hours'
FROM tmp_rfqs AS r
CROSS JOIN LATERAL generate_series(1, CASE WHEN r.status = 'draft' THEN 0
                                           WHEN r.status = 'awarded' THEN 1 + floor(pg_temp.rnd(r.g, 608) * 5)::int
                                           ELSE floor(pg_temp.rnd(r.g, 608) * 6)::int END) AS q
JOIN tmp_supplier_days AS sd ON sd.day = r.created_at::date
JOIN tmp_suppliers AS su ON su.i = 1 + floor(pg_temp.rnd(r.g * 8 + q, 601) * sd.n)::bigint
ORDER BY r.g, q;

-- step: orders
CREATE TEMP TABLE tmp_supplier_parts AS
SELECT p.supplier_id, row_number() OVER (PARTITION BY p.supplier_id ORDER BY p.id) AS k, p.id, p.unit_price, f.fx
FROM parts AS p JOIN fx AS f ON f.currency = p.currency;
ALTER TABLE tmp_supplier_parts ADD PRIMARY KEY (supplier_id, k);
CREATE TEMP TABLE tmp_supplier_part_counts AS
SELECT supplier_id, count(*) AS n FROM tmp_supplier_parts GROUP BY supplier_id;
ALTER TABLE tmp_supplier_part_counts ADD PRIMARY KEY (supplier_id);

CREATE TEMP TABLE tmp_orders AS
WITH awarded AS (
    SELECT 0 AS src, q.id AS key, r.buyer_company_id AS buyer, q.supplier_id, q.id AS quote_id,
           r.created_by AS placed_by,
           least(q.created_at + (4 + 96 * pg_temp.rnd(q.id, 701)) * interval '1 hour', {{anchor}} - interval '1 hour') AS placed_at,
           r.currency, r.part_id, r.quantity, q.unit_price
    FROM quotes AS q JOIN rfqs AS r ON r.id = q.rfq_id
    WHERE q.status = 'accepted'
), catalogue AS (
    SELECT 1 AS src, c.g AS key, c.buyer, c.supplier_id, NULL::bigint AS quote_id,
           CASE WHEN cu.created_at <= c.placed_at THEN cu.id
                WHEN founder.created_at <= c.placed_at THEN founder.id END AS placed_by,
           c.placed_at, c.currency, NULL::bigint AS part_id, NULL::int AS quantity, NULL::numeric AS unit_price
    FROM (
        SELECT g, bu.id AS buyer, su.id AS supplier_id, bu.currency, local_placed AT TIME ZONE bu.tz AS placed_at
        FROM (SELECT g, timestamp '2021-02-01' + floor((g - 1)::float8 / {{orders}} * 1970) * interval '1 day'
                        + (7 + 11 * pg_temp.rnd(g, 703)) * interval '1 hour' AS local_placed
              FROM generate_series(1, {{orders}}) AS g) AS o
        JOIN tmp_buyer_days AS bd ON bd.day = o.local_placed::date
        JOIN tmp_buyers AS bu ON bu.i = 1 + floor(pg_temp.rnd(o.g, 704) * bd.n)::bigint
        JOIN tmp_supplier_days AS sd ON sd.day = o.local_placed::date
        JOIN tmp_suppliers AS su ON su.i = 1 + floor(pg_temp.rnd(o.g, 702) * sd.n)::bigint
        WHERE o.g <= greatest({{orders}} - (SELECT count(*) FROM awarded), {{orders}} / 5)
    ) AS c
    LEFT JOIN tmp_company_user_counts AS n ON n.company_id = c.buyer
    LEFT JOIN tmp_company_users AS cu ON cu.company_id = c.buyer AND cu.k = 1 + floor(pg_temp.rnd(c.g, 705) * n.n)::bigint
    LEFT JOIN tmp_company_users AS founder ON founder.company_id = c.buyer AND founder.k = 1
)
SELECT row_number() OVER (ORDER BY x.placed_at, x.src, x.key) AS id, x.*
FROM (SELECT * FROM awarded UNION ALL SELECT * FROM catalogue) AS x;
ALTER TABLE tmp_orders ADD PRIMARY KEY (id);

CREATE TEMP TABLE tmp_items AS
SELECT o.id AS order_id, ln AS line_no,
       coalesce(o.part_id, sp.id) AS part_id,
       coalesce(o.quantity, pg_temp.pick('{1,2,5,10,20,50,100,200,500}'::int[], o.id * 8 + ln, 711)) AS quantity,
       coalesce(o.unit_price,
                round(sp.unit_price / sp.fx * f.fx, CASE WHEN o.currency IN ('JPY', 'KRW') THEN 0 ELSE 2 END)) AS unit_price
FROM tmp_orders AS o
CROSS JOIN LATERAL generate_series(1, CASE WHEN o.src = 0 THEN 1 ELSE 1 + floor(pg_temp.rnd(o.id, 712) * 4)::int END) AS ln
JOIN fx AS f ON f.currency = o.currency
JOIN tmp_supplier_part_counts AS c ON c.supplier_id = o.supplier_id
JOIN tmp_supplier_parts AS sp ON sp.supplier_id = o.supplier_id
                             AND sp.k = 1 + floor(pg_temp.rnd(o.id * 8 + ln, 713) * c.n)::bigint;

INSERT INTO orders (id, order_number, buyer_company_id, supplier_id, quote_id, placed_by, status, currency,
                    subtotal, shipping, total, shipping_address, placed_at, shipped_at, delivered_on,
                    cancelled_reason, deleted_at)
WITH t AS (
    SELECT order_id, sum(quantity * unit_price) AS subtotal FROM tmp_items GROUP BY order_id
), s0 AS (
    SELECT o.*, t.subtotal, c.tz, c.country_code, c.city, f.fx,
           CASE WHEN o.placed_at > {{anchor}} - interval '10 days'
                THEN CASE WHEN pg_temp.rnd(o.id, 721) < 0.5 THEN 'pending' ELSE 'paid' END
                ELSE CASE WHEN pg_temp.rnd(o.id, 721) < 0.02 THEN 'pending'
                          WHEN pg_temp.rnd(o.id, 721) < 0.06 THEN 'paid'
                          WHEN pg_temp.rnd(o.id, 721) < 0.12 THEN 'cancelled'
                          WHEN pg_temp.rnd(o.id, 721) < 0.15 THEN 'refunded'
                          ELSE 'shipped' END END AS status0,
           o.placed_at + (2 + 30 * pg_temp.rnd(o.id, 722)) * interval '1 day' AS ship_time,
           CASE WHEN pg_temp.rnd(o.id, 723) >= 0.3
                THEN round(t.subtotal * 0.03 + 15 * f.fx, CASE WHEN o.currency IN ('JPY', 'KRW') THEN 0 ELSE 2 END) END AS shipping
    FROM tmp_orders AS o
    JOIN t ON t.order_id = o.id
    JOIN tmp_companies AS c ON c.id = o.buyer
    JOIN fx AS f ON f.currency = o.currency
), s AS (
    SELECT s0.*,
           (CASE WHEN s0.status0 IN ('shipped', 'refunded') AND s0.ship_time >= {{anchor}} THEN 'paid'
                 ELSE s0.status0 END)::order_status AS status
    FROM s0
)
SELECT s.id,
       'PO-' || to_char(s.placed_at AT TIME ZONE s.tz, 'YYYY') || '-' || to_char(s.id, 'FM000000'),
       s.buyer, s.supplier_id, s.quote_id, s.placed_by, s.status, s.currency,
       s.subtotal, s.shipping, s.subtotal + coalesce(s.shipping, 0),
       CASE WHEN pg_temp.rnd(s.id, 724) >= 0.1
            THEN jsonb_strip_nulls(jsonb_build_object(
                     'line1', (1 + floor(pg_temp.rnd(s.id, 725) * 400))::int || ' '
                              || pg_temp.pick('{"Industrial Pkwy","Commerce Dr",Hauptstraße,"Rue de l''Industrie","Via dell''Artigianato","Science Park Rd","Gewerbering","Harbour Rd"}'::text[], s.id, 726),
                     'line2', CASE WHEN pg_temp.rnd(s.id, 727) < 0.3 THEN 'Dock ' || (1 + floor(pg_temp.rnd(s.id, 728) * 12))::int END,
                     'city', s.city,
                     'country', s.country_code,
                     'postal_code', lpad((floor(pg_temp.rnd(s.id, 729) * 99999))::int::text, 5, '0'))) END,
       s.placed_at,
       CASE WHEN s.status IN ('shipped', 'refunded') THEN s.ship_time END,
       CASE WHEN s.status = 'shipped' AND s.ship_time + interval '10 days' < {{anchor}}
            THEN ((s.ship_time + (2 + 8 * pg_temp.rnd(s.id, 730)) * interval '1 day') AT TIME ZONE s.tz)::date END,
       CASE WHEN s.status = 'cancelled' AND pg_temp.rnd(s.id, 731) >= 0.15
            THEN pg_temp.pick('{"Buyer changed requirements","Supplier could not meet lead time","Duplicate order","Payment failed","Found a cheaper quote"}'::text[], s.id, 732) END,
       CASE WHEN pg_temp.rnd(s.id, 733) < 0.01 THEN s.placed_at + interval '25 minutes' END
FROM s
ORDER BY s.id;

-- step: order items
INSERT INTO order_items (id, order_id, line_no, part_id, quantity, unit_price, line_total)
SELECT row_number() OVER (ORDER BY order_id, line_no), order_id, line_no, part_id, quantity, unit_price,
       quantity * unit_price
FROM tmp_items
ORDER BY order_id, line_no;

-- step: payments
INSERT INTO payments (id, order_id, amount, currency, method, status, provider, provider_ref, failure_code,
                      created_at, paid_at)
WITH a AS (
    SELECT o.id AS order_id, o.total, o.currency, o.status, o.placed_at, attempt,
           CASE WHEN attempt = 1 THEN
                    CASE WHEN o.status IN ('paid', 'shipped', 'refunded') AND pg_temp.rnd(o.id, 801) < 0.08 THEN 'failed'
                         WHEN o.status = 'cancelled' AND pg_temp.rnd(o.id, 801) < 0.4 THEN 'failed' END
                ELSE CASE WHEN o.status IN ('paid', 'shipped') THEN 'succeeded'
                          WHEN o.status = 'refunded' THEN 'refunded'
                          WHEN o.status = 'pending' AND pg_temp.rnd(o.id, 802) < 0.3 THEN 'pending' END
           END AS pay_status,
           CASE o.currency
               WHEN 'USD' THEN pg_temp.pick('{ach,card,card,wire}'::text[], o.id, 803)
               WHEN 'EUR' THEN pg_temp.pick('{sepa_debit,card,wire,wire}'::text[], o.id, 803)
               WHEN 'CNY' THEN pg_temp.pick('{wire,wire,alipay}'::text[], o.id, 803)
               ELSE pg_temp.pick('{card,wire}'::text[], o.id, 803) END AS method
    FROM orders AS o CROSS JOIN generate_series(1, 2) AS attempt
)
SELECT pg_temp.uuid4(a.order_id * 4 + a.attempt, 804), a.order_id, a.total, a.currency,
       CASE WHEN a.pay_status = 'failed' AND a.method = 'wire' THEN 'card' ELSE a.method END,
       a.pay_status,
       CASE WHEN a.method IN ('card', 'ach', 'sepa_debit') OR a.pay_status = 'failed' THEN 'stripe'
            WHEN a.method = 'alipay' THEN 'alipay' END,
       CASE WHEN a.pay_status = 'pending' THEN NULL
            WHEN a.method = 'wire' AND a.pay_status <> 'failed' THEN 'WIRE-' || upper(substr(md5(a.order_id::text || 'w'), 1, 10))
            ELSE 'pi_' || substr(md5(a.order_id::text || ':' || a.attempt), 1, 24) END,
       CASE WHEN a.pay_status = 'failed'
            THEN pg_temp.pick('{card_declined,insufficient_funds,expired_card,processing_error,authentication_required}'::text[], a.order_id, 805) END,
       a.placed_at + (a.attempt * 10 + 50 * pg_temp.rnd(a.order_id * 4 + a.attempt, 806)) * interval '1 minute',
       CASE WHEN a.pay_status IN ('succeeded', 'refunded')
            THEN a.placed_at + (a.attempt * 10 + 50 * pg_temp.rnd(a.order_id * 4 + a.attempt, 806)) * interval '1 minute'
                 + CASE WHEN a.method = 'wire' THEN (1 + 3 * pg_temp.rnd(a.order_id, 807)) * interval '1 day'
                        ELSE interval '4 seconds' END END
FROM a
WHERE a.pay_status IS NOT NULL
ORDER BY a.order_id, a.attempt;

-- step: events
CREATE TEMP TABLE tmp_users_by_created AS
SELECT row_number() OVER (ORDER BY created_at, id) AS i, id, company_id, tz, created_at FROM tmp_users WHERE id <= {{users}};
ALTER TABLE tmp_users_by_created ADD PRIMARY KEY (i);
CREATE INDEX ON tmp_users_by_created (created_at);
CREATE TEMP TABLE tmp_user_days AS
SELECT d::date AS day,
       coalesce((SELECT i FROM tmp_users_by_created WHERE created_at < d - interval '14 hours' ORDER BY created_at DESC LIMIT 1), 1) AS n
FROM generate_series(timestamptz '2023-12-01', {{anchor}} + interval '1 day', interval '1 day') AS d;
ALTER TABLE tmp_user_days ADD PRIMARY KEY (day);

INSERT INTO events (id, occurred_at, kind, user_id, company_id, payload, ip, user_agent)
WITH b AS (
    SELECT g,
           floor(sqrt((g - 1)::float8 / {{events}}) * 910) AS day,
           pg_temp.rnd(g, 901) AS r_kind,
           pg_temp.rnd(g, 903) AS r_anon,
           pg_temp.rnd(g, 904) AS r_ip
    FROM generate_series(1, {{events}}) AS g
), k AS (
    SELECT b.*,
           CASE WHEN b.r_kind < 0.50 THEN 'page_view' WHEN b.r_kind < 0.62 THEN 'login'
                WHEN b.r_kind < 0.74 THEN 'search' WHEN b.r_kind < 0.82 THEN 'rfq.viewed'
                WHEN b.r_kind < 0.86 THEN 'rfq.created' WHEN b.r_kind < 0.91 THEN 'quote.submitted'
                WHEN b.r_kind < 0.94 THEN 'order.placed' WHEN b.r_kind < 0.96 THEN 'order.paid'
                WHEN b.r_kind < 0.98 THEN 'file.uploaded' ELSE 'logout' END AS kind
    FROM b
), u AS (
    SELECT k.*, tu.id AS user_id, tu.company_id, coalesce(tu.tz, 'UTC') AS tz
    FROM k
    JOIN tmp_user_days AS ud ON ud.day = date '2024-01-01' + k.day::int
    LEFT JOIN tmp_users_by_created AS tu ON tu.i = 1 + floor(pg_temp.rnd(k.g, 902) * ud.n)::bigint
                                        AND NOT (k.kind = 'page_view' AND k.r_anon < 0.3)
)
SELECT u.g,
       (timestamp '2024-01-01' + u.day * interval '1 day' + (7 + 13 * pg_temp.rnd(u.g, 905)) * interval '1 hour') AT TIME ZONE u.tz,
       u.kind, u.user_id, u.company_id,
       CASE u.kind
           WHEN 'page_view' THEN jsonb_strip_nulls(jsonb_build_object(
               'path', pg_temp.pick('{/,/rfqs,/rfqs/new,/orders,/suppliers,/parts,/settings/team,/search,/messages}'::text[], u.g, 906),
               'referrer', pg_temp.pick('{NULL,NULL,NULL,https://www.google.com/,https://www.linkedin.com/,https://www.bing.com/}'::text[], u.g, 907),
               'duration_ms', (50 + floor(pg_temp.rnd(u.g, 908) * 4000))::int))
           WHEN 'login' THEN jsonb_build_object(
               'method', pg_temp.pick('{password,password,sso,magic_link}'::text[], u.g, 909),
               'mfa', pg_temp.rnd(u.g, 910) < 0.35,
               'success', pg_temp.rnd(u.g, 911) >= 0.05)
           WHEN 'search' THEN jsonb_build_object(
               'q', pg_temp.pick('{"M8 bolt","bearing 6204","anodized bracket","cnc aluminium","o-ring nbr","stepper motor","sheet metal enclosure","pcb assembly",gear}'::text[], u.g, 912),
               'results', floor(pg_temp.rnd(u.g, 913) * 250)::int)
           WHEN 'rfq.viewed' THEN jsonb_build_object('rfq_id', pg_temp.uuid4(1 + floor(pg_temp.rnd(u.g, 914) * {{rfqs}})::bigint, 61))
           WHEN 'rfq.created' THEN jsonb_build_object('rfq_id', pg_temp.uuid4(1 + floor(pg_temp.rnd(u.g, 914) * {{rfqs}})::bigint, 61),
                                                      'quantity', pg_temp.pick('{1,10,100,500,1000}'::int[], u.g, 915))
           WHEN 'quote.submitted' THEN jsonb_build_object('rfq_id', pg_temp.uuid4(1 + floor(pg_temp.rnd(u.g, 914) * {{rfqs}})::bigint, 61),
                                                          'unit_price', round((1 + 99 * pg_temp.rnd(u.g, 916))::numeric, 2)::text,
                                                          'currency', pg_temp.pick('{USD,EUR,CNY,CAD}'::text[], u.g, 917))
           WHEN 'order.placed' THEN jsonb_build_object('order_id', 1 + floor(pg_temp.rnd(u.g, 918) * {{orders}})::bigint,
                                                       'items', 1 + floor(pg_temp.rnd(u.g, 919) * 4)::int)
           WHEN 'order.paid' THEN jsonb_build_object('order_id', 1 + floor(pg_temp.rnd(u.g, 918) * {{orders}})::bigint,
                                                     'amount', round((50 + 5000 * pg_temp.rnd(u.g, 920))::numeric, 2)::text,
                                                     'currency', pg_temp.pick('{USD,EUR,CNY,CAD}'::text[], u.g, 917))
           WHEN 'file.uploaded' THEN jsonb_build_object(
               'filename', pg_temp.pick('{bracket,housing,shaft,manifold,gear,panel}'::text[], u.g, 921) || '_rev'
                           || chr(65 + floor(pg_temp.rnd(u.g, 922) * 5)::int) || pg_temp.pick('{.step,.pdf,.dxf,.stl}'::text[], u.g, 923),
               'bytes', (20000 + floor(pg_temp.rnd(u.g, 924) * 8000000))::int)
           ELSE '{}'::jsonb END,
       CASE WHEN u.r_ip < 0.05 THEN NULL
            WHEN u.r_ip < 0.20 THEN ('2001:db8:' || to_hex(floor(pg_temp.rnd(u.g, 925) * 65535)::int) || '::'
                                     || to_hex(1 + floor(pg_temp.rnd(u.g, 926) * 65534)::int))::inet
            WHEN u.r_ip < 0.25 THEN ('10.' || floor(pg_temp.rnd(u.g, 927) * 256)::int || '.'
                                     || floor(pg_temp.rnd(u.g, 928) * 256)::int || '.' || (1 + floor(pg_temp.rnd(u.g, 929) * 254))::int)::inet
            ELSE (pg_temp.pick('{24,47,62,73,81,91,104,112,117,142,183,203,213}'::int[], u.g, 930) || '.'
                  || floor(pg_temp.rnd(u.g, 927) * 256)::int || '.' || floor(pg_temp.rnd(u.g, 928) * 256)::int || '.'
                  || (1 + floor(pg_temp.rnd(u.g, 929) * 254))::int)::inet END,
       CASE WHEN pg_temp.rnd(u.g, 931) >= 0.1
            THEN pg_temp.pick('{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36","Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15","Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0","Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36","python-requests/2.31.0","okhttp/4.12.0"}'::text[], u.g, 932) END
FROM u;

-- step: keys and indexes
ALTER TABLE users ADD CONSTRAINT users_company_id_fkey FOREIGN KEY (company_id) REFERENCES companies (id);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
ALTER TABLE suppliers ADD CONSTRAINT suppliers_company_id_fkey FOREIGN KEY (company_id) REFERENCES companies (id);
ALTER TABLE suppliers ADD CONSTRAINT suppliers_company_id_key UNIQUE (company_id);
ALTER TABLE parts ADD CONSTRAINT parts_supplier_id_fkey FOREIGN KEY (supplier_id) REFERENCES suppliers (id);
ALTER TABLE parts ADD CONSTRAINT parts_sku_key UNIQUE (sku);
ALTER TABLE rfqs ADD CONSTRAINT rfqs_buyer_company_id_fkey FOREIGN KEY (buyer_company_id) REFERENCES companies (id);
ALTER TABLE rfqs ADD CONSTRAINT rfqs_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id);
ALTER TABLE rfqs ADD CONSTRAINT rfqs_part_id_fkey FOREIGN KEY (part_id) REFERENCES parts (id);
ALTER TABLE quotes ADD CONSTRAINT quotes_rfq_id_fkey FOREIGN KEY (rfq_id) REFERENCES rfqs (id);
ALTER TABLE quotes ADD CONSTRAINT quotes_supplier_id_fkey FOREIGN KEY (supplier_id) REFERENCES suppliers (id);
ALTER TABLE orders ADD CONSTRAINT orders_order_number_key UNIQUE (order_number);
ALTER TABLE orders ADD CONSTRAINT orders_buyer_company_id_fkey FOREIGN KEY (buyer_company_id) REFERENCES companies (id);
ALTER TABLE orders ADD CONSTRAINT orders_supplier_id_fkey FOREIGN KEY (supplier_id) REFERENCES suppliers (id);
ALTER TABLE orders ADD CONSTRAINT orders_quote_id_fkey FOREIGN KEY (quote_id) REFERENCES quotes (id);
ALTER TABLE orders ADD CONSTRAINT orders_placed_by_fkey FOREIGN KEY (placed_by) REFERENCES users (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_part_id_fkey FOREIGN KEY (part_id) REFERENCES parts (id);
ALTER TABLE payments ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE events ADD CONSTRAINT events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE events ADD CONSTRAINT events_company_id_fkey FOREIGN KEY (company_id) REFERENCES companies (id);

CREATE INDEX users_company_id_idx ON users (company_id);
CREATE INDEX parts_supplier_id_idx ON parts (supplier_id);
CREATE INDEX rfqs_buyer_company_id_idx ON rfqs (buyer_company_id);
CREATE INDEX rfqs_status_created_at_idx ON rfqs (status, created_at);
CREATE INDEX quotes_rfq_id_idx ON quotes (rfq_id);
CREATE INDEX quotes_supplier_id_idx ON quotes (supplier_id);
CREATE INDEX orders_buyer_company_id_idx ON orders (buyer_company_id);
CREATE INDEX orders_supplier_id_idx ON orders (supplier_id);
CREATE INDEX orders_placed_at_idx ON orders (placed_at);
CREATE INDEX orders_open_status_idx ON orders (status) WHERE deleted_at IS NULL;
CREATE INDEX order_items_order_id_idx ON order_items (order_id);
CREATE INDEX payments_order_id_idx ON payments (order_id);
CREATE INDEX events_occurred_at_brin ON events USING brin (occurred_at);
CREATE INDEX events_user_id_occurred_at_idx ON events (user_id, occurred_at);

-- step: sequences
DROP TABLE IF EXISTS locs, fx, part_templates, tmp_companies, tmp_users, tmp_parts, tmp_buyers, tmp_buyer_days,
    tmp_suppliers, tmp_supplier_days, tmp_company_users, tmp_company_user_counts, tmp_rfqs, tmp_supplier_parts,
    tmp_supplier_part_counts, tmp_orders, tmp_items, tmp_users_by_created, tmp_user_days, tmp_parts_by_created,
    tmp_part_days;
SELECT setval(pg_get_serial_sequence('companies', 'id'), (SELECT max(id) FROM companies));
SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users));
SELECT setval(pg_get_serial_sequence('suppliers', 'id'), (SELECT max(id) FROM suppliers));
SELECT setval(pg_get_serial_sequence('parts', 'id'), (SELECT max(id) FROM parts));
SELECT setval(pg_get_serial_sequence('quotes', 'id'), (SELECT max(id) FROM quotes));
SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders));
SELECT setval(pg_get_serial_sequence('order_items', 'id'), (SELECT max(id) FROM order_items));
SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events));
