-- function_values: a function's execution-role sessions — Lambda names the session
-- after the function, and the runtime's SDK marks its user agent with
-- `exec-env/AWS_Lambda` — their networks, agents and roles. Placeholders:
-- {inv_filter}, {rt_filter}, {ct_filter}.
-- owner: function_name
-- from: s
-- kind net16: tl_net16(source_ip)
-- kind net24: tl_net24(source_ip)
-- kind agent: tl_ua_family(user_agent)
-- kind role: session_issuer_arn
WITH fns AS (SELECT DISTINCT function_name FROM invocations
  WHERE {inv_filter} AND function_name IS NOT NULL
  UNION SELECT DISTINCT function_name FROM lambda_runtime
  WHERE {rt_filter} AND function_name IS NOT NULL),
s AS (SELECT event_time, session_name AS function_name, source_ip, user_agent,
  session_issuer_arn FROM cloudtrail
  WHERE {ct_filter} AND session_name IS NOT NULL
  AND (strpos(coalesce(user_agent, ''), 'exec-env/AWS_Lambda') > 0
    OR session_name IN (SELECT function_name FROM fns)))
