-- principal_values: networks, user-agent families and regions per principal, one
-- query per kind (see values.sql). Placeholder: {ct}.
-- owner: principal
-- from: ct
-- kind net16: tl_net16(source_ip)
-- kind net24: tl_net24(source_ip)
-- kind agent: tl_ua_family(user_agent)
-- kind region: aws_region
WITH {ct}
