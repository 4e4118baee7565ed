-- amrwatch store, version 2 on PostgreSQL: keys and indexes for a multi-user hub.
-- The uniqueness of (lab_code, isolate_id) guards against a second writer even though uploads are
-- serialised by an advisory lock. ast_result gets only its primary key: each extra index roughly
-- halves COPY throughput (measured by `amrwatch bench ingest`), and analytics scan whole tables.
ALTER TABLE patient ADD PRIMARY KEY (lab_code, patient_key);
ALTER TABLE isolate ADD CONSTRAINT isolate_lab_isolate_key UNIQUE (lab_code, isolate_id);
ALTER TABLE ast_result ADD PRIMARY KEY (ast_id);
CREATE INDEX interpretation_guideline ON interpretation (guideline, policy);
CREATE INDEX audit_logged_at ON audit (logged_at);
