-- function_rate: invocations per function, status classes, and the per-minute rate's
-- mean and variance (empty minutes included), distinct sources per hour.
-- Placeholders: {inv}, {end_minute} (the range's last epoch minute).
WITH {inv},
minutes AS (SELECT function_name, to_unixtime(time) / 60 AS minute, count(*) AS n
  FROM inv GROUP BY function_name, to_unixtime(time) / 60),
m AS (SELECT function_name, min(minute) AS first_minute, count(*) AS active_minutes,
  sum(CAST(n AS DOUBLE) * CAST(n AS DOUBLE)) AS sum_sq, max(n) AS max_per_minute
  FROM minutes GROUP BY function_name),
hours AS (SELECT function_name, to_unixtime(time) / 3600 AS hour,
  count(DISTINCT source_ip) AS sources FROM inv
  GROUP BY function_name, to_unixtime(time) / 3600),
s AS (SELECT function_name, avg(CAST(sources AS DOUBLE)) AS sources_per_hour_mean,
  max(sources) AS sources_per_hour_max FROM hours GROUP BY function_name),
t AS (SELECT function_name, min(account_id) AS account_id, min(region) AS region,
  count(*) AS invocations, count(status_code) AS with_status,
  sum(CASE WHEN status_code BETWEEN 400 AND 499 THEN 1 ELSE 0 END) AS status_4xx,
  sum(CASE WHEN status_code BETWEEN 500 AND 599 THEN 1 ELSE 0 END) AS status_5xx,
  sum(CASE WHEN status_code = 429 THEN 1 ELSE 0 END) AS throttles,
  sum(CASE WHEN status_code IN (401, 403) THEN 1 ELSE 0 END) AS auth_failures,
  count(payload_shape) AS shaped, count(DISTINCT payload_shape) AS distinct_shapes,
  min(time) AS first_seen, max(time) AS last_seen FROM inv GROUP BY function_name),
j AS (SELECT t.*, m.first_minute,
  CAST({end_minute} - m.first_minute + 1 AS DOUBLE) AS span,
  m.active_minutes, m.sum_sq, m.max_per_minute,
  s.sources_per_hour_mean, s.sources_per_hour_max
  FROM t JOIN m ON t.function_name = m.function_name
  JOIN s ON t.function_name = s.function_name)
SELECT function_name, account_id, region, invocations, with_status, status_4xx,
status_5xx, throttles, auth_failures, shaped, distinct_shapes, first_seen, last_seen,
first_minute, CAST(span AS BIGINT) AS span_minutes, active_minutes, sum_sq,
max_per_minute, CAST(invocations AS DOUBLE) / span AS minute_mean,
CASE WHEN span > 1 THEN
  greatest(sum_sq - CAST(invocations AS DOUBLE) * CAST(invocations AS DOUBLE) / span, 0.0)
  / (span - 1) ELSE 0.0 END AS minute_variance,
sources_per_hour_mean, sources_per_hour_max
FROM j
