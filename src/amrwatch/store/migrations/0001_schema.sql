-- amrwatch store, version 1: the hub schema.
-- Written in the SQL both DuckDB and PostgreSQL accept; keys and indexes that only pay off on
-- PostgreSQL are in 0002_keys.postgresql.sql. Column names and types of isolate and ast_result
-- follow amrwatch.schemas.ISOLATE and AST_RESULT exactly (plus the store's own keys).

CREATE SEQUENCE upload_id_seq START 1;
CREATE SEQUENCE audit_id_seq START 1;

-- A laboratory and its country's sharing policy: 'isolate' (rows may be pooled regionally) or
-- 'aggregate' (only counts leave the country; see docs/store.md, "Sovereignty").
CREATE TABLE lab (
    lab_code      VARCHAR PRIMARY KEY,
    country       VARCHAR NOT NULL,
    name          VARCHAR,
    sharing       VARCHAR NOT NULL CHECK (sharing IN ('isolate', 'aggregate')),
    registered_at TIMESTAMPTZ NOT NULL
);

-- One submitted file or message. (lab_code, content_sha256) makes re-ingestion idempotent.
CREATE TABLE upload (
    upload_id          BIGINT PRIMARY KEY,
    lab_code           VARCHAR NOT NULL REFERENCES lab (lab_code),
    file_name          VARCHAR,
    content_sha256     VARCHAR NOT NULL,
    reader             VARCHAR,
    received_at        TIMESTAMPTZ NOT NULL,
    isolates_received  BIGINT NOT NULL,
    isolates_stored    BIGINT NOT NULL,
    duplicate_isolates BIGINT NOT NULL,
    ast_received       BIGINT NOT NULL,
    ast_stored         BIGINT NOT NULL,
    quality_score      DOUBLE PRECISION,
    report             VARCHAR,
    UNIQUE (lab_code, content_sha256)
);

-- Pseudonymous patients: the keyed HMAC pseudonym only, never a name or raw id.
CREATE TABLE patient (
    lab_code        VARCHAR NOT NULL,
    patient_key     VARCHAR NOT NULL,
    first_upload_id BIGINT NOT NULL
);

CREATE TABLE isolate (
    upload_id         BIGINT NOT NULL,
    lab_code          VARCHAR NOT NULL,
    country           VARCHAR NOT NULL,
    isolate_id        VARCHAR NOT NULL,
    patient_key       VARCHAR,
    specimen_date     DATE,
    specimen_type     VARCHAR,
    specimen_type_raw VARCHAR,
    origin            VARCHAR,
    age_years         REAL,
    sex               VARCHAR,
    ward_type         VARCHAR,
    organism_raw      VARCHAR,
    mo                VARCHAR,
    organism_score    DOUBLE PRECISION,
    source_row        BIGINT
);

-- The raw value exactly as the lab reported it, with method, potency and the lab's own S/I/R.
CREATE TABLE ast_result (
    ast_id            BIGINT NOT NULL,
    upload_id         BIGINT NOT NULL,
    lab_code          VARCHAR NOT NULL,
    isolate_id        VARCHAR NOT NULL,
    antimicrobial_raw VARCHAR,
    ab                VARCHAR,
    method            VARCHAR,
    value_raw         VARCHAR,
    potency           VARCHAR,
    lab_sir           VARCHAR,
    lab_guideline     VARCHAR,
    source_row        BIGINT,
    source_column     VARCHAR
);

-- One AST result under one guideline version and policy; versions live side by side.
CREATE TABLE interpretation (
    ast_id        BIGINT NOT NULL,
    guideline     VARCHAR NOT NULL,
    policy        VARCHAR NOT NULL,
    sir           VARCHAR,
    reason        VARCHAR NOT NULL,
    breakpoint_id VARCHAR,
    computed_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit (
    audit_id  BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    logged_at TIMESTAMPTZ NOT NULL,
    actor     VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,
    target    VARCHAR,
    details   VARCHAR
);
