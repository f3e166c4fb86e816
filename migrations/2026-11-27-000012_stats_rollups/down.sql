DROP TABLE run_stats_daily;
DROP TABLE run_stats_org;
DROP AGGREGATE sum_histogram(bigint[]);
DROP FUNCTION histogram_add(bigint[], bigint[]);
