-- principal_activity: events per principal and the hourly rate's mean and variance,
-- counting every hour from the principal's first to the end of the range (empty
-- hours included). Placeholders: {ct}, {end_hour} (the range's last epoch hour).
WITH {ct},
hourly AS (SELECT principal, to_unixtime(event_time) / 3600 AS hour, count(*) AS n
  FROM ct GROUP BY principal, to_unixtime(event_time) / 3600),
h AS (SELECT principal, min(hour) AS first_hour, count(*) AS active_hours,
  sum(CAST(n AS DOUBLE) * CAST(n AS DOUBLE)) AS sum_sq, max(n) AS max_hourly
  FROM hourly GROUP BY principal),
t AS (SELECT principal, min(account_id) AS account_id, count(*) AS events,
  count(error_code) AS errors, sum(CASE WHEN tl_denied(error_code) THEN 1 ELSE 0 END) AS access_denied,
  min(event_time) AS first_seen, max(event_time) AS last_seen
  FROM ct GROUP BY principal),
j AS (SELECT t.principal, t.account_id, t.events, t.errors, t.access_denied,
  t.first_seen, t.last_seen, h.first_hour,
  CAST({end_hour} - h.first_hour + 1 AS DOUBLE) AS span,
  h.active_hours, h.sum_sq, h.max_hourly
  FROM t JOIN h ON t.principal = h.principal)
SELECT principal, account_id, events, errors, access_denied, first_seen, last_seen,
first_hour, CAST(span AS BIGINT) AS span_hours, active_hours, sum_sq, max_hourly,
CAST(events AS DOUBLE) / span AS hourly_mean,
CASE WHEN span > 1 THEN
  greatest(sum_sq - CAST(events AS DOUBLE) * CAST(events AS DOUBLE) / span, 0.0)
  / (span - 1) ELSE 0.0 END AS hourly_variance
FROM j
