-- amrwatch store, version 3: signals, alerts, their workflow events and the delivery outbox
-- (amrwatch.alert, docs/alerts.md). Portable SQL: DuckDB and PostgreSQL.
--
-- A signal, the alert it raises, the alert's first event and its outbox rows are written in one
-- transaction (the transactional outbox), so an alert is never lost between detection and
-- delivery; a dispatcher delivers outbox rows afterwards and marks them delivered.

CREATE SEQUENCE alert_id_seq START 1;
CREATE SEQUENCE alert_event_id_seq START 1;
CREATE SEQUENCE outbox_id_seq START 1;

-- One row per detected event (amrwatch.schemas.SIGNAL); signal_id derives from the event, so
-- re-running detection finds the row already there and raises nothing new.
CREATE TABLE signal (
    signal_id     VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    detector      VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,
    country       VARCHAR,
    lab_code      VARCHAR,
    mo            VARCHAR,
    phenotype     VARCHAR,
    window_start  DATE,
    window_end    DATE,
    evidence      VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL
);

-- One alert per signal. `escalate_at`: when an alert still `new` escalates by itself.
CREATE TABLE alert (
    alert_id    BIGINT PRIMARY KEY,
    signal_id   VARCHAR NOT NULL UNIQUE,
    severity    VARCHAR NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    country     VARCHAR,
    lab_code    VARCHAR,
    title       VARCHAR NOT NULL,
    status      VARCHAR NOT NULL CHECK (status IN ('new', 'acknowledged', 'escalated', 'closed')),
    raised_at   TIMESTAMPTZ NOT NULL,
    escalate_at TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Every workflow step of an alert: raised, acknowledge, escalate (by a user or automatically), close.
CREATE TABLE alert_event (
    event_id    BIGINT PRIMARY KEY,
    alert_id    BIGINT NOT NULL,
    logged_at   TIMESTAMPTZ NOT NULL,
    actor       VARCHAR NOT NULL,
    role        VARCHAR,
    action      VARCHAR NOT NULL,
    from_status VARCHAR,
    to_status   VARCHAR NOT NULL,
    note        VARCHAR
);

-- One message to one recipient over one channel. idempotency_key is derived from alert, event,
-- channel and recipient: a retried delivery carries the same key and the receiver keeps one.
CREATE TABLE outbox (
    delivery_id     BIGINT PRIMARY KEY,
    alert_id        BIGINT NOT NULL,
    event           VARCHAR NOT NULL,
    channel         VARCHAR NOT NULL,
    recipient       VARCHAR NOT NULL,
    address         VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL UNIQUE,
    payload         VARCHAR NOT NULL,
    status          VARCHAR NOT NULL CHECK (status IN ('pending', 'delivered')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
);
