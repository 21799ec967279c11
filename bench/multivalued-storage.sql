-- How to store multi-valued attributes (emails) so that filters use an index: measured on
-- PostgreSQL with 100,000 users. Run: psql -h 127.0.0.1 -U postgres -d <scratch db> -f bench/multivalued-storage.sql
\timing off
SET client_min_messages = warning;
DROP TABLE IF EXISTS mv_users, mv_values;
CREATE TABLE mv_users (tenant_id text, id text, doc jsonb, PRIMARY KEY (tenant_id, id));
CREATE TABLE mv_values (tenant_id text, user_id text, attr text, ordinal int, value_lc text, type_lc text, PRIMARY KEY (tenant_id, user_id, attr, ordinal));
INSERT INTO mv_users SELECT 't', 'u' || i, jsonb_build_object('userName', 'user' || i,
  'emails', jsonb_build_array(jsonb_build_object('value', 'User' || i || '@Example.com', 'type', 'work'),
                              jsonb_build_object('value', 'home' || i || '@mail.example', 'type', 'home')))
  FROM generate_series(1, 100000) i;
INSERT INTO mv_values SELECT 't', id, 'emails', o - 1, lower(e->>'value'), lower(e->>'type')
  FROM mv_users, jsonb_array_elements(doc->'emails') WITH ORDINALITY AS x(e, o);
CREATE INDEX mv_values_value ON mv_values (tenant_id, attr, value_lc text_pattern_ops);
CREATE INDEX mv_users_emails_gin ON mv_users USING gin ((doc->'emails') jsonb_path_ops);
ANALYZE mv_users; ANALYZE mv_values;

\echo '--- A. side table, emails.value eq (case-insensitive, what Rollcall does)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT count(*) FROM mv_users r WHERE r.tenant_id = 't' AND EXISTS (
  SELECT 1 FROM mv_values v WHERE v.tenant_id = r.tenant_id AND v.user_id = r.id AND v.attr = 'emails' AND v.value_lc = 'user50000@example.com');
\echo '--- B. JSONB + GIN containment, emails.value eq (exact case only: cannot honour caseExact=false)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT count(*) FROM mv_users r WHERE r.tenant_id = 't' AND r.doc->'emails' @> '[{"value": "User50000@Example.com"}]';
\echo '--- C. JSONB scan with lower(), emails.value eq (case-insensitive, no index possible)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT count(*) FROM mv_users r WHERE r.tenant_id = 't' AND EXISTS (
  SELECT 1 FROM jsonb_array_elements(r.doc->'emails') e WHERE lower(e->>'value') = 'user50000@example.com');
\echo '--- D. side table, emails.value sw (prefix, text_pattern_ops index)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT count(*) FROM mv_users r WHERE r.tenant_id = 't' AND EXISTS (
  SELECT 1 FROM mv_values v WHERE v.tenant_id = r.tenant_id AND v.user_id = r.id AND v.attr = 'emails' AND v.value_lc LIKE 'user5000%');
DROP TABLE mv_users, mv_values;
