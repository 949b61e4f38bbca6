#!/usr/bin/env python3
"""Authoring aid: expands shorthand test events in rule files into full AWS records.

Writing a realistic CloudTrail record or API Gateway payload by hand for every test is
slow and error-prone, so a rule author may write a one-line shorthand instead and run
this script, which rewrites the file in place (standard library only):

* `__UUID__` anywhere → a fresh UUID v4 (rule `id`s); `__EID__` → a fresh event id.
* A test event line `- {"@ct": "<identity>", "t": "10:00:05", "src": "iam",
  "name": "CreateAccessKey", "rp": {...}, "re": {...}, "err": "AccessDenied", ...}`
  → a full CloudTrail record (eventVersion, userIdentity of a named identity from
  IDENTITIES below, eventTime on 2026-11-23 unless `t` is a full timestamp, eventSource
  `<src>.amazonaws.com`, awsRegion, sourceIPAddress, userAgent, requestParameters,
  responseElements, errorCode/errorMessage, requestID, eventID, readOnly, eventType,
  managementEvent, eventCategory, recipientAccountId). Optional keys: `region`, `ip`,
  `ua`, `acct`, `msg` (errorMessage), `data` (true: a data event), `add`
  (additionalEventData), `res` (resources), `type` (eventType), `uid` (userIdentity
  overrides), `extra` (other top-level keys).
* A line `- {"@fn": "<kind>", ...}` → a Lambda event as AWS delivers it, kinds `rest`
  (API Gateway REST, payload 1.0), `http` (HTTP API 2.0), `url` (Function URL), `alb`,
  `sqs`, `sns`, `s3`, `access` (API Gateway access log line). Keys: `fn` (wraps the event
  in a Powertools "Lambda invocation event" log line naming the function; ALB events are
  always wrapped because they carry no time), `t`, `ip`, `ua`, `method`, `path`, `q`
  (decoded query parameters), `raw_q` (the raw query string as sent), `body` (text, or an
  object serialised to JSON), `b64` (send the body base64-encoded), `h` (extra headers),
  `status` (access logs), `key`/`size`/`bucket` (S3), `msg_attrs`.

Run: python3 rules/tools/expand_events.py rules/**/*.yml   (only touches shorthand lines)
"""
import base64
import hashlib
import json
import random
import re
import sys
import urllib.parse
import uuid

DAY = "2026-11-23"
ACCT = "111122223333"


def _role(acct, role, session, key, ip, ua, mfa="false", **kw):
    ident = {
        "type": "AssumedRole",
        "principalId": f"AROA{hashlib.sha1(role.encode()).hexdigest()[:16].upper()}:{session}",
        "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/{session}",
        "accountId": acct,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROA{hashlib.sha1(role.encode()).hexdigest()[:16].upper()}",
                "arn": f"arn:aws:iam::{acct}:role/{role}",
                "accountId": acct,
                "userName": role,
            },
            "attributes": {"creationDate": f"{DAY}T09:30:00Z", "mfaAuthenticated": mfa},
        },
    }
    ident.update(kw)
    return {"id": ident, "ip": ip, "ua": ua}


def _user(acct, name, key, ip, ua):
    return {
        "id": {
            "type": "IAMUser",
            "principalId": "AIDA" + hashlib.sha1(name.encode()).hexdigest()[:17].upper(),
            "arn": f"arn:aws:iam::{acct}:user/{name}",
            "accountId": acct,
            "accessKeyId": key,
            "userName": name,
        },
        "ip": ip,
        "ua": ua,
    }


CLI = "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#"
BOTO = "Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.10"
TF = "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.64.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.4 ua/2.1 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64"
CONSOLE = "AWS Internal"
GO = "aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 api/sts#1.32.3"

IDENTITIES = {
    # Humans with long-term keys.
    "alice": _user(ACCT, "alice", "AKIAQX7EXAMPLEALICE1", "198.51.100.23", CLI + "iam.create-access-key"),
    "carol": _user(ACCT, "carol", "AKIAQX7EXAMPLECAROL1", "198.51.100.40", CLI + "lambda.update-function-code"),
    "dev": _user(ACCT, "dev-tooling", "AKIAQX7EXAMPLEDEVTL1", "203.0.113.150", BOTO),
    # A leaked key used from a VPS.
    "leaked": _user(ACCT, "svc-reporting", "AKIAQX7EXAMPLELEAKD1", "185.220.101.47", BOTO),
    # CI: Terraform from a GitHub Actions OIDC role.
    "ci": _role(ACCT, "ci-deploy", "gha-run-4821", "ASIAQX7EXAMPLECIRUN1", "20.51.77.9", TF),
    # Human on the console through IAM Identity Center.
    "sso": _role(ACCT, "AWSReservedSSO_AdministratorAccess_4c1e2b9f8d7a6e50", "bob@example.com",
                 "ASIAQX7EXAMPLEBOBSS1", "192.0.2.44", CONSOLE),
    # A compromised developer session used from a foreign host.
    "mallory": _role(ACCT, "developer", "mallory", "ASIAQX7EXAMPLEMALRY1", "45.155.205.233", BOTO),
    # An EC2 instance role session.
    "instance": _role(ACCT, "app-server-role", "i-0a1b2c3d4e5f67890", "ASIAQX7EXAMPLEINST01",
                      "10.0.12.34", "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.102-108.177.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.9 exec-env/EC2"),
    # A Lambda execution role session.
    "lambda": _role(ACCT, "orders-api-exec", "orders-api", "ASIAQX7EXAMPLELMBDA1", "3.91.20.14",
                    "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.224-233.880.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145"),
    # A third-party security scanner (read-only audit role, cross-account).
    "scanner": _role(ACCT, "SecurityAuditCSPM", "cspm-scan-20261123", "ASIAQX7EXAMPLESCAN01",
                     "34.228.10.5", "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux lang/python#3.11.6 prowler/4.3.5"),
    "root": {
        "id": {"type": "Root", "principalId": ACCT, "arn": f"arn:aws:iam::{ACCT}:root",
               "accountId": ACCT, "accessKeyId": "ASIAQX7EXAMPLEROOT01"},
        "ip": "198.51.100.99",
        "ua": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    },
    "cfn": _role(ACCT, "cfn-exec", "AWSCloudFormation", "ASIAQX7EXAMPLECFN001", "cloudformation.amazonaws.com",
                 "cloudformation.amazonaws.com", invokedBy="cloudformation.amazonaws.com"),
    # A user of another account (a partner), in account 444455556666.
    "partner": _user("444455556666", "partner-sync", "AKIAQX7EXAMPLEPARTN1", "203.0.113.201", BOTO),
}

DATA_EVENTS = {"GetObject", "PutObject", "DeleteObject", "DeleteObjects", "CopyObject", "ListObjects",
               "ListObjectVersions", "HeadObject", "Invoke", "GetObjectAcl"}


def when(t):
    if t is None:
        return f"{DAY}T10:00:00Z"
    return t if "T" in t else f"{DAY}T{t}Z"


def cloudtrail(m):
    who = IDENTITIES[m["@ct"]]
    ident = json.loads(json.dumps(who["id"]))
    ident.update(m.get("uid") or {})
    name = m["name"]
    src = m["src"] if "." in m["src"] else f"{m['src']}.amazonaws.com"
    data = m.get("data", name in DATA_EVENTS)
    ev = {
        "eventVersion": "1.09" if src == "s3.amazonaws.com" else "1.08",
        "userIdentity": ident,
        "eventTime": when(m.get("t")),
        "eventSource": src,
        "eventName": name,
        "awsRegion": m.get("region", "us-east-1"),
        "sourceIPAddress": m.get("ip", who["ip"]),
        "userAgent": m.get("ua", who["ua"]),
    }
    if "err" in m:
        ev["errorCode"] = m["err"]
        ev["errorMessage"] = m.get("msg", f"User: {ident['arn']} is not authorized to perform: "
                                          f"{src.split('.')[0]}:{re.sub(r'20[0-9]{2}[0-9v]*$', '', name)}")
    ev["requestParameters"] = m.get("rp")
    ev["responseElements"] = None if "err" in m else m.get("re")
    if "add" in m:
        ev["additionalEventData"] = m["add"]
    ev["requestID"] = str(uuid.uuid4())
    ev["eventID"] = str(uuid.uuid4())
    ev["readOnly"] = bool(re.match(r"^(Get|List|Describe|Head|Lookup|BatchGet|Search|Scan|Query)", name))
    if "res" in m:
        ev["resources"] = m["res"]
    ev["eventType"] = m.get("type", "AwsApiCall")
    ev["managementEvent"] = not data
    ev["recipientAccountId"] = m.get("acct", ident.get("accountId", ACCT))
    ev["eventCategory"] = "Data" if data else "Management"
    if src != "signin.amazonaws.com":
        ev["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                            "clientProvidedHostHeader": f"{src.split('.')[0]}.{ev['awsRegion']}.amazonaws.com"}
    ev.update(m.get("extra") or {})
    return ev


BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"


def epoch_ms(t):
    import datetime as dt
    return int(dt.datetime.fromisoformat(when(t).replace("Z", "+00:00")).timestamp() * 1000)


def api_time(t):
    import datetime as dt
    return dt.datetime.fromisoformat(when(t).replace("Z", "+00:00")).strftime("%d/%b/%Y:%H:%M:%S +0000")


def body_of(m):
    b = m.get("body")
    if b is None:
        return None, False
    if not isinstance(b, str):
        b = json.dumps(b)
    if m.get("b64"):
        return base64.b64encode(b.encode()).decode(), True
    return b, False


def rid():
    return str(uuid.uuid4())


def apigw_id():
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))


def lambda_event(m):
    kind = m["@fn"]
    t = m.get("t")
    ip = m.get("ip", "203.0.113.7")
    ua = m.get("ua", BROWSER)
    method = m.get("method", "GET" if m.get("body") is None else "POST")
    path = m.get("path", "/")
    q = m.get("q")
    body, b64 = body_of(m)
    api = apigw_id()
    ctype = {"content-type": "application/json"} if body is not None and not str(m.get("body", "")).startswith("<") else (
        {"content-type": "application/xml"} if body is not None else {})
    h = dict(ctype, **(m.get("h") or {}))
    if kind == "rest":
        dom = f"{api}.execute-api.us-east-1.amazonaws.com"
        headers = {"Accept": "*/*", "Host": dom, "User-Agent": ua, "X-Forwarded-For": ip,
                   "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https",
                   "X-Amzn-Trace-Id": f"Root=1-{rid()[:8]}-{rid().replace('-', '')[:24]}"}
        headers.update({k.title(): v for k, v in h.items()})
        ev = {"resource": m.get("resource", path), "path": path, "httpMethod": method, "headers": headers,
              "multiValueHeaders": {k: [v] for k, v in headers.items()},
              "queryStringParameters": q, "multiValueQueryStringParameters": {k: [v] for k, v in q.items()} if q else None,
              "pathParameters": m.get("pp"), "stageVariables": None,
              "requestContext": {"resourceId": api[:6], "resourcePath": m.get("resource", path), "httpMethod": method,
                                 "extendedRequestId": rid()[:16] + "=", "requestTime": api_time(t),
                                 "path": "/prod" + path, "accountId": ACCT, "protocol": "HTTP/1.1", "stage": "prod",
                                 "domainPrefix": api, "requestTimeEpoch": epoch_ms(t), "requestId": rid(),
                                 "identity": {"cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None,
                                              "caller": None, "sourceIp": ip, "principalOrgId": None, "accessKey": None,
                                              "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None,
                                              "userArn": None, "userAgent": ua, "user": None},
                                 "domainName": dom, "apiId": api},
              "body": body, "isBase64Encoded": b64}
    elif kind in ("http", "url"):
        dom = (f"{api}x{api[:6]}ab{api[:8]}.lambda-url.us-east-1.on.aws" if kind == "url"
               else f"{api}.execute-api.us-east-1.amazonaws.com")
        raw_q = m.get("raw_q")
        if raw_q is None and q:
            raw_q = urllib.parse.urlencode(q, quote_via=urllib.parse.quote, safe="")
        headers = {"accept": "*/*", "content-length": str(len(body or "")), "host": dom, "user-agent": ua,
                   "x-amzn-trace-id": f"Root=1-{rid()[:8]}-{rid().replace('-', '')[:24]}",
                   "x-forwarded-for": ip, "x-forwarded-port": "443", "x-forwarded-proto": "https"}
        headers.update({k.lower(): v for k, v in h.items()})
        route = "$default" if kind == "url" else m.get("route", f"{method} {path}")
        ev = {"version": "2.0", "routeKey": route, "rawPath": path, "rawQueryString": raw_q or "",
              "headers": headers}
        if q or raw_q:
            ev["queryStringParameters"] = q or {k: v for k, v in urllib.parse.parse_qsl(raw_q)}
        rc = {"accountId": "anonymous" if kind == "url" else ACCT, "apiId": api, "domainName": dom,
              "domainPrefix": api, "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                            "sourceIp": ip, "userAgent": ua},
              "requestId": rid(), "routeKey": route, "stage": "$default", "time": api_time(t),
              "timeEpoch": epoch_ms(t)}
        ev["requestContext"] = rc
        if body is not None:
            ev["body"] = body
        ev["isBase64Encoded"] = b64
    elif kind == "alb":
        headers = {"accept": "*/*", "host": "internal-orders-alb-1234567890.us-east-1.elb.amazonaws.com",
                   "user-agent": ua, "x-amzn-trace-id": f"Root=1-{rid()[:8]}-{rid().replace('-', '')[:24]}",
                   "x-forwarded-for": ip, "x-forwarded-port": "443", "x-forwarded-proto": "https"}
        headers.update({k.lower(): v for k, v in h.items()})
        raw = m.get("raw_q")
        qs = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True)) if raw else (q or {})
        if raw:  # ALB passes parameters still percent-encoded
            qs = {k: v for k, v in (p.split("=", 1) if "=" in p else (p, "") for p in raw.split("&"))}
        ev = {"requestContext": {"elb": {"targetGroupArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCT}:targetgroup/orders-tg/6d0ecf831eec9f09"}},
              "httpMethod": method, "path": path, "queryStringParameters": qs, "headers": headers,
              "body": body or "", "isBase64Encoded": b64}
        m.setdefault("fn", "orders-alb-handler")
    elif kind == "sqs":
        msg = m.get("body") if isinstance(m.get("body"), str) else json.dumps(m.get("body"))
        ev = {"Records": [{"messageId": rid(), "receiptHandle": "AQEB" + base64.b64encode(rid().encode()).decode()[:60],
                           "body": msg, "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(epoch_ms(t)),
                                                       "SenderId": m.get("sender", "AROAQX7EXAMPLEPRODUCER:order-writer"),
                                                       "ApproximateFirstReceiveTimestamp": str(epoch_ms(t) + 12)},
                           "messageAttributes": m.get("msg_attrs", {}), "md5OfBody": hashlib.md5(msg.encode()).hexdigest(),
                           "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:us-east-1:{ACCT}:{m.get('queue', 'orders-inbound')}",
                           "awsRegion": "us-east-1"}]}
    elif kind == "sns":
        msg = m.get("body") if isinstance(m.get("body"), str) else json.dumps(m.get("body"))
        topic = f"arn:aws:sns:us-east-1:{ACCT}:{m.get('topic', 'customer-feedback')}"
        ev = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                           "EventSubscriptionArn": topic + ":" + rid(),
                           "Sns": {"Type": "Notification", "MessageId": rid(), "TopicArn": topic,
                                   "Subject": m.get("subject"), "Message": msg, "Timestamp": when(t).replace("Z", ".000Z"),
                                   "SignatureVersion": "1", "Signature": base64.b64encode(rid().encode()).decode(),
                                   "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
                                   "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                                   "MessageAttributes": m.get("msg_attrs", {})}}]}
    elif kind == "s3":
        bucket = m.get("bucket", "customer-uploads-prod")
        ev = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                           "eventTime": when(t).replace("Z", ".512Z"), "eventName": m.get("event", "ObjectCreated:Put"),
                           "userIdentity": {"principalId": "AWS:AIDAQX7EXAMPLEUPLOADR"},
                           "requestParameters": {"sourceIPAddress": ip},
                           "responseElements": {"x-amz-request-id": rid().replace("-", "")[:16].upper(),
                                                "x-amz-id-2": base64.b64encode(rid().encode()).decode()},
                           "s3": {"s3SchemaVersion": "1.0", "configurationId": "uploads-to-lambda",
                                  "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                                             "arn": f"arn:aws:s3:::{bucket}"},
                                  "object": {"key": urllib.parse.quote_plus(m["key"], safe="/"), "size": m.get("size", 20480),
                                             "eTag": hashlib.md5(m["key"].encode()).hexdigest(),
                                             "sequencer": "0066" + rid().replace("-", "")[:14].upper()}}}]}
    elif kind == "access":
        ev = {"requestId": rid(), "ip": ip, "requestTime": api_time(t), "httpMethod": method,
              "routeKey": m.get("route", f"{method} {path}"), "path": path, "status": str(m.get("status", 200)),
              "protocol": "HTTP/1.1", "responseLength": str(m.get("len", 52)), "userAgent": ua,
              "integrationLatency": str(m.get("lat", 41)), "domainName": "api.example.com"}
    else:
        raise ValueError(f"unknown lambda event kind {kind}")
    fn = m.get("fn")
    if not fn:
        return ev
    ts = when(t).replace("T", " ").replace("Z", ",000+0000")
    return {"level": "INFO", "location": "decorate:448", "message": "Lambda invocation event", "timestamp": ts,
            "service": fn, "cold_start": False, "function_name": fn, "function_memory_size": "512",
            "function_arn": f"arn:aws:lambda:us-east-1:{ACCT}:function:{fn}", "function_request_id": rid(),
            "xray_trace_id": f"1-{rid()[:8]}-{rid().replace('-', '')[:24]}", "event": ev}


LINE = re.compile(r'^(\s*(?:- |event: |- event: ))(\{"@(?:ct|fn)".*)$')


def expand_text(text):
    out = []
    for line in text.split("\n"):
        m = LINE.match(line)
        if m:
            spec = json.loads(m.group(2))
            full = cloudtrail(spec) if "@ct" in spec else lambda_event(spec)
            line = m.group(1) + json.dumps(full, ensure_ascii=False)
        out.append(line)
    text = "\n".join(out)
    text = re.sub(r"__UUID__", lambda _: str(uuid.uuid4()), text)
    return re.sub(r"__EID__", lambda _: str(uuid.uuid4()), text)


def main(paths):
    for p in paths:
        with open(p, encoding="utf-8") as f:
            src = f.read()
        new = expand_text(src)
        if new != src:
            with open(p, "w", encoding="utf-8") as f:
                f.write(new)
            print("expanded", p)


if __name__ == "__main__":
    main(sys.argv[1:])
