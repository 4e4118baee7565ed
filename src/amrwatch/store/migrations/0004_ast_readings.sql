-- amrwatch store, version 4: AST results stored as integer links to the distinct readings of
-- their upload. A WHONET column is one test (drug, method, potency, guideline) for every isolate
-- of a file and holds a few dozen distinct values, so an upload of 10 M AST results has a few
-- hundred distinct readings; writing their text on every result made bulk writes three to four
-- times slower than integer keys (docs/store.md, "Write speed"). Now:
--   isolate.isolate_key  a store-wide integer key, given by add_upload;
--   ast_reading          one row per distinct reading of an upload: the test and the value and
--                        category the lab wrote;
--   ast_entry            one row per AST result: its ast_id, isolate, reading and source row;
--   ast_result           a view with the columns of the version 1-3 table, for readers.
-- Portable SQL: DuckDB and PostgreSQL. Existing results move over with their ast_id unchanged,
-- so interpretations keep pointing at their results. isolate_key is made NOT NULL in version 5
-- on PostgreSQL only: DuckDB cannot add that constraint in the transaction that filled it.

ALTER TABLE isolate ADD COLUMN isolate_key BIGINT;
UPDATE isolate SET isolate_key = k.n
FROM (SELECT lab_code, isolate_id,
             row_number() OVER (ORDER BY upload_id, source_row, lab_code, isolate_id) AS n
      FROM isolate) k
WHERE isolate.lab_code = k.lab_code AND isolate.isolate_id = k.isolate_id;

CREATE TABLE ast_reading (
    reading_key       BIGINT NOT NULL,
    upload_id         BIGINT NOT NULL,
    antimicrobial_raw VARCHAR,
    ab                VARCHAR,
    method            VARCHAR,
    potency           VARCHAR,
    lab_guideline     VARCHAR,
    source_column     VARCHAR,
    value_raw         VARCHAR,
    lab_sir           VARCHAR
);

CREATE TABLE ast_entry (
    ast_id      BIGINT NOT NULL,
    upload_id   BIGINT NOT NULL,
    isolate_key BIGINT NOT NULL,
    reading_key BIGINT NOT NULL,
    source_row  BIGINT
);

INSERT INTO ast_reading (reading_key, upload_id, antimicrobial_raw, ab, method, potency,
                         lab_guideline, source_column, value_raw, lab_sir)
SELECT row_number() OVER (ORDER BY upload_id, source_column, antimicrobial_raw, ab, method,
                                   potency, lab_guideline, value_raw, lab_sir),
       upload_id, antimicrobial_raw, ab, method, potency, lab_guideline, source_column,
       value_raw, lab_sir
FROM (SELECT DISTINCT upload_id, antimicrobial_raw, ab, method, potency, lab_guideline,
                      source_column, value_raw, lab_sir
      FROM ast_result) d;

INSERT INTO ast_entry (ast_id, upload_id, isolate_key, reading_key, source_row)
SELECT a.ast_id, a.upload_id, i.isolate_key, r.reading_key, a.source_row
FROM ast_result a
JOIN isolate i ON i.lab_code = a.lab_code AND i.isolate_id = a.isolate_id
JOIN ast_reading r ON r.upload_id = a.upload_id
    AND r.antimicrobial_raw IS NOT DISTINCT FROM a.antimicrobial_raw
    AND r.ab IS NOT DISTINCT FROM a.ab
    AND r.method IS NOT DISTINCT FROM a.method
    AND r.potency IS NOT DISTINCT FROM a.potency
    AND r.lab_guideline IS NOT DISTINCT FROM a.lab_guideline
    AND r.source_column IS NOT DISTINCT FROM a.source_column
    AND r.value_raw IS NOT DISTINCT FROM a.value_raw
    AND r.lab_sir IS NOT DISTINCT FROM a.lab_sir;

DROP TABLE ast_result;

CREATE VIEW ast_result AS
SELECT e.ast_id, e.upload_id, i.lab_code, i.isolate_id, r.antimicrobial_raw, r.ab, r.method,
       r.value_raw, r.potency, r.lab_sir, r.lab_guideline, e.source_row, r.source_column,
       e.isolate_key, e.reading_key
FROM ast_entry e
JOIN isolate i ON i.isolate_key = e.isolate_key
JOIN ast_reading r ON r.reading_key = e.reading_key;
