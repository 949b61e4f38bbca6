-- function_runtime: per function, REPORT lines' duration and memory (median, MAD,
-- p99), starts, distinct errors, timeouts, cold starts. Placeholder: {rt_filter}.
WITH rt AS (SELECT time, function_name, request_id, kind, status, duration_ms,
  max_memory_mb, memory_mb, init_ms, cold_start, source
  FROM lambda_runtime WHERE {rt_filter} AND function_name IS NOT NULL),
rep AS (SELECT function_name, duration_ms, CAST(max_memory_mb AS DOUBLE) AS mem,
  memory_mb, init_ms, cold_start FROM rt WHERE kind = 'report'),
med AS (SELECT function_name, median(duration_ms) AS duration_median,
  median(mem) AS memory_median FROM rep GROUP BY function_name),
dist AS (SELECT rep.function_name, count(*) AS reports,
  median(abs(rep.duration_ms - med.duration_median)) AS duration_mad,
  approx_percentile_cont(rep.duration_ms, 0.99) AS duration_p99,
  median(abs(rep.mem - med.memory_median)) AS memory_mad,
  approx_percentile_cont(rep.mem, 0.99) AS memory_p99,
  max(rep.memory_mb) AS memory_mb,
  sum(CASE WHEN rep.init_ms IS NOT NULL OR rep.cold_start THEN 1 ELSE 0 END)
    AS cold_starts
  FROM rep JOIN med ON rep.function_name = med.function_name
  GROUP BY rep.function_name),
ev AS (SELECT function_name,
  sum(CASE WHEN kind = 'start' THEN 1 ELSE 0 END) AS starts,
  count(DISTINCT CASE WHEN kind = 'error' THEN coalesce(request_id, source) END)
    AS errors,
  sum(CASE WHEN kind = 'timeout' THEN 1 ELSE 0 END) AS timeouts,
  min(time) AS first_seen, max(time) AS last_seen FROM rt GROUP BY function_name)
SELECT ev.function_name, coalesce(dist.reports, 0) AS reports, ev.starts, ev.errors,
ev.timeouts, coalesce(dist.cold_starts, 0) AS cold_starts,
med.duration_median, dist.duration_mad, dist.duration_p99,
med.memory_median, dist.memory_mad, dist.memory_p99, dist.memory_mb,
ev.first_seen, ev.last_seen
FROM ev LEFT JOIN dist ON ev.function_name = dist.function_name
LEFT JOIN med ON ev.function_name = med.function_name
