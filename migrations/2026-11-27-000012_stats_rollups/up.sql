-- Two more rollups, folded with run_stats, so that an organization's dashboard over 90 days
-- reads thousands of rows instead of every workflow's every hour: the organization's runs per
-- hour (its charts), and each workflow's runs per version and UTC day (its totals over long
-- ranges, with run_stats for the hours at either end).

-- Adds two duration histograms bucket by bucket; `sum_histogram` is its aggregate.
CREATE FUNCTION histogram_add(a bigint[], b bigint[]) RETURNS bigint[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a
                 ELSE ARRAY(SELECT x + y FROM unnest(a, b) WITH ORDINALITY AS d(x, y, i) ORDER BY i)
            END $$;
CREATE AGGREGATE sum_histogram(bigint[]) (SFUNC = histogram_add, STYPE = bigint[]);

CREATE TABLE run_stats_org (
    org_id text NOT NULL REFERENCES organizations (id),
    hour timestamptz NOT NULL,
    started bigint NOT NULL DEFAULT 0,
    succeeded bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    timed_out bigint NOT NULL DEFAULT 0,
    cancelled bigint NOT NULL DEFAULT 0,
    duration_ms_sum bigint NOT NULL DEFAULT 0,
    durations bigint[] NOT NULL,
    PRIMARY KEY (org_id, hour)
);

CREATE TABLE run_stats_daily (
    workflow_id text NOT NULL,
    version integer NOT NULL,
    day timestamptz NOT NULL,
    org_id text NOT NULL REFERENCES organizations (id),
    started bigint NOT NULL DEFAULT 0,
    succeeded bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    timed_out bigint NOT NULL DEFAULT 0,
    cancelled bigint NOT NULL DEFAULT 0,
    duration_ms_sum bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (workflow_id, version, day)
);
CREATE INDEX run_stats_daily_org ON run_stats_daily (org_id, day);

INSERT INTO run_stats_org
SELECT org_id, hour, sum(started), sum(succeeded), sum(failed), sum(timed_out), sum(cancelled),
       sum(duration_ms_sum), sum_histogram(durations)
FROM run_stats GROUP BY org_id, hour;

INSERT INTO run_stats_daily
SELECT workflow_id, version, date_trunc('day', hour, 'UTC'), min(org_id), sum(started),
       sum(succeeded), sum(failed), sum(timed_out), sum(cancelled), sum(duration_ms_sum)
FROM run_stats GROUP BY 1, 2, 3;
