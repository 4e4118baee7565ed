-- amrwatch store, version 5 on PostgreSQL: the keys of version 4's tables. As in version 2,
-- the large table gets only its primary key: each extra index roughly halves COPY throughput.
ALTER TABLE isolate ALTER COLUMN isolate_key SET NOT NULL;
ALTER TABLE isolate ADD CONSTRAINT isolate_key_unique UNIQUE (isolate_key);
ALTER TABLE ast_reading ADD PRIMARY KEY (reading_key);
ALTER TABLE ast_entry ADD PRIMARY KEY (ast_id);
