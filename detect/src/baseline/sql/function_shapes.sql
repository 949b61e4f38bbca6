-- function_shapes: the most frequent payload shapes of each function, ranked.
-- Placeholders: {inv}, {top_shapes}.
WITH {inv},
s AS (SELECT function_name, payload_shape, count(*) AS invocations,
  min(time) AS first_seen, max(time) AS last_seen FROM inv
  WHERE payload_shape IS NOT NULL GROUP BY function_name, payload_shape),
r AS (SELECT function_name, payload_shape, invocations, first_seen, last_seen,
  row_number() OVER (PARTITION BY function_name
    ORDER BY invocations DESC, payload_shape) AS rank FROM s)
SELECT function_name, payload_shape, invocations, first_seen, last_seen, rank
FROM r WHERE rank <= {top_shapes}
