-- ipv6scan history in PostgreSQL: schema, and import of saved scan files (JSON Lines).
--
-- For a shared (national) history: each scanner keeps its own SQLite history
-- and saves every scan as reports/scan-<time>.jsonl (docs/schema.md); those
-- files are imported here with psql. See docs/history.md, "PostgreSQL".
--
-- Install or upgrade (idempotent):   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f docs/postgres-schema.sql
-- Import one scan file:              see docs/history.md (a \copy into a temporary table, then ipv6scan_import).
--
-- Tested with PostgreSQL 15 (tests/test_postgres.py, run when PostgreSQL's
-- server binaries are installed).

CREATE TABLE IF NOT EXISTS ipv6scan_scans (
    id              bigserial PRIMARY KEY,
    scan_key        text NOT NULL UNIQUE,        -- md5 of the scan's first header line: the same scan imported again replaces itself
    source          text NOT NULL,               -- where it came from (the file name given to ipv6scan_import)
    started         timestamptz NOT NULL,
    finished        timestamptz,                 -- of the last summary line, if any
    status          text NOT NULL CHECK (status IN ('interrupted', 'complete')),
    tool_version    text NOT NULL,
    schema_version  text NOT NULL,
    header          jsonb NOT NULL,              -- the first header line, options inside
    hosts           integer NOT NULL,
    input_errors    integer NOT NULL,
    verdicts        jsonb NOT NULL,              -- {"ready": 12, "partial": 3, ...}, counted from the host lines
    bad_lines       integer NOT NULL,            -- lines that were not JSON (a file cut short), skipped
    imported_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ipv6scan_hosts (
    id        bigserial PRIMARY KEY,
    scan_id   bigint NOT NULL REFERENCES ipv6scan_scans (id) ON DELETE CASCADE,
    host      text NOT NULL,                     -- ASCII (punycode) name
    display   text NOT NULL,
    started   timestamptz NOT NULL,
    verdict   text NOT NULL,
    reasons   jsonb NOT NULL,
    org       text,
    kind      text,
    record    jsonb NOT NULL,                    -- the host line as saved: {"type": "host", "facts": ..., "result": ...}
    UNIQUE (scan_id, host)
);
CREATE INDEX IF NOT EXISTS ipv6scan_hosts_by_name ON ipv6scan_hosts (host, started);

CREATE TABLE IF NOT EXISTS ipv6scan_input_errors (
    id        bigserial PRIMARY KEY,
    scan_id   bigint NOT NULL REFERENCES ipv6scan_scans (id) ON DELETE CASCADE,
    source    text,
    line      integer,
    text      text NOT NULL,
    problem   text NOT NULL
);

-- A line of a scan file as jsonb, or NULL if it is not JSON (a line cut short when a scan was killed).
CREATE OR REPLACE FUNCTION ipv6scan_try_jsonb(p text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN p::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- Import the lines staged in the temporary table ipv6scan_staging (n bigserial, line text) as one scan.
-- A resumed scan's file (several header lines) is one scan; a host present twice keeps its first line.
-- Returns the scan's id here.
CREATE OR REPLACE FUNCTION ipv6scan_import(p_source text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_header  jsonb;
    v_summary jsonb;
    v_bad     integer;
    v_id      bigint;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS ipv6scan_parsed (n bigint, doc jsonb) ON COMMIT DROP;
    TRUNCATE ipv6scan_parsed;
    INSERT INTO ipv6scan_parsed SELECT n, ipv6scan_try_jsonb(line) FROM ipv6scan_staging WHERE btrim(line) <> '';
    SELECT count(*) INTO v_bad FROM ipv6scan_parsed WHERE doc IS NULL OR jsonb_typeof(doc) <> 'object';

    SELECT doc INTO v_header FROM ipv6scan_parsed WHERE doc->>'type' = 'scan' ORDER BY n LIMIT 1;
    IF v_header IS NULL THEN
        RAISE EXCEPTION 'ipv6scan_import(%): no scan header line: not an ipv6scan scan file', p_source;
    END IF;
    IF split_part(v_header->>'schema_version', '.', 1) <> '1' THEN
        RAISE EXCEPTION 'ipv6scan_import(%): scan file schema_version % is not supported here (1.x)',
            p_source, v_header->>'schema_version';
    END IF;
    SELECT doc INTO v_summary FROM ipv6scan_parsed WHERE doc->>'type' = 'summary' ORDER BY n DESC LIMIT 1;

    DELETE FROM ipv6scan_scans WHERE scan_key = md5(v_header::text);  -- imported before (e.g. still running then)
    INSERT INTO ipv6scan_scans (scan_key, source, started, finished, status, tool_version, schema_version, header,
                                hosts, input_errors, verdicts, bad_lines)
    VALUES (md5(v_header::text), p_source, (v_header->>'started')::timestamptz,
            (v_summary->>'finished')::timestamptz,
            CASE WHEN v_summary IS NOT NULL AND NOT (v_summary->>'interrupted')::boolean THEN 'complete' ELSE 'interrupted' END,
            v_header->>'tool_version', v_header->>'schema_version', v_header, 0, 0, '{}', v_bad)
    RETURNING id INTO v_id;

    INSERT INTO ipv6scan_hosts (scan_id, host, display, started, verdict, reasons, org, kind, record)
    SELECT DISTINCT ON (doc->'facts'->>'host')
           v_id, doc->'facts'->>'host', doc->'facts'->>'display', (doc->'facts'->>'started')::timestamptz,
           doc->'result'->>'verdict', coalesce(doc->'result'->'reasons', '[]'), doc->'facts'->>'org',
           doc->'facts'->>'kind', doc
    FROM ipv6scan_parsed
    WHERE doc->>'type' = 'host'
    ORDER BY doc->'facts'->>'host', n;

    INSERT INTO ipv6scan_input_errors (scan_id, source, line, text, problem)
    SELECT DISTINCT ON (doc->>'source', doc->>'line', doc->>'text', doc->>'problem')
           v_id, doc->>'source', (doc->>'line')::integer, doc->>'text', doc->>'problem'
    FROM ipv6scan_parsed
    WHERE doc->>'type' = 'input_error'
    ORDER BY doc->>'source', doc->>'line', doc->>'text', doc->>'problem', n;

    UPDATE ipv6scan_scans s SET
        hosts = (SELECT count(*) FROM ipv6scan_hosts h WHERE h.scan_id = v_id),
        input_errors = (SELECT count(*) FROM ipv6scan_input_errors e WHERE e.scan_id = v_id),
        verdicts = coalesce((SELECT jsonb_object_agg(verdict, n)
                             FROM (SELECT verdict, count(*) AS n FROM ipv6scan_hosts h
                                   WHERE h.scan_id = v_id GROUP BY verdict) c), '{}')
    WHERE s.id = v_id;
    RETURN v_id;
END $$;

-- Every change of a host's verdict over time (what `ipv6scan host NAME` shows from SQLite):
--   SELECT * FROM ipv6scan_host_changes WHERE host = 'dichvucong.gov.vn' ORDER BY started;
CREATE OR REPLACE VIEW ipv6scan_host_changes AS
SELECT host, started, scan_id, before, verdict, reasons
FROM (
    SELECT h.host, h.started, h.scan_id, h.verdict, h.reasons,
           lag(h.verdict) OVER (PARTITION BY h.host ORDER BY h.started, h.scan_id) AS before
    FROM ipv6scan_hosts h
) t
WHERE before IS DISTINCT FROM verdict;
