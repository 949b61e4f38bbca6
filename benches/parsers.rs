//! Criterion benches of the ingest parsers, per core: records/s and MB/s.
//!
//! - `split`: the streaming splitter alone over a `{"Records":[…]}` document.
//! - `cloudtrail`: splitter + typed CloudTrail parse + Arrow builders.
//! - `lambda`: API Gateway events through the Lambda parser (payload shape, redaction).
//!
//! Inputs are synthesised in memory from realistic records with varying values, so the
//! bench needs nothing outside the repository. Run: `cargo bench -p tripline-ingest`.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tripline_ingest::parse::{self, Sink};
use tripline_ingest::source::{Kind, Splitter};
use tripline_ingest::{Context, Position, RecordError, Table, Tables};

/// Counts outcomes and drops batches once they reach the ingest batch size.
#[derive(Default)]
struct Counting {
    tables: Tables,
    stored: u64,
    bad: u64,
}

impl Sink for Counting {
    fn tables(&mut self) -> &mut Tables {
        &mut self.tables
    }
    fn stored(&mut self, table: Table) {
        self.stored += 1;
        let b = self.tables.get_mut(table);
        if b.len() >= 16 * 1024 {
            std::hint::black_box(b.finish());
        }
    }
    fn quarantined(&mut self, _: &Position, _: &[u8], _: &RecordError) {
        self.bad += 1;
    }
    fn skipped(&mut self, _: &'static str) {}
}

fn cloudtrail_doc(n: usize) -> Vec<u8> {
    let mut out = String::from("{\"Records\":[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLE:fn-{f}","arn":"arn:aws:sts::111122223333:assumed-role/fn-{f}-role/fn-{f}","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE{i:08}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/fn-{f}-role","accountId":"111122223333","userName":"fn-{f}-role"}},"attributes":{{"creationDate":"2024-05-01T00:00:00Z","mfaAuthenticated":"false"}}}}}},"eventTime":"2024-05-01T{h:02}:{m:02}:{s:02}Z","eventSource":"dynamodb.amazonaws.com","eventName":"GetItem","awsRegion":"us-east-1","sourceIPAddress":"34.201.{a}.{b}","userAgent":"Boto3/1.34.0 md/Botocore#1.34.0 exec-env/AWS_Lambda_python3.12","requestParameters":{{"tableName":"orders-{f}","key":{{"id":{{"S":"o-{i}"}}}}}},"responseElements":null,"requestID":"REQ{i:012}","eventID":"0000-{i:012}","readOnly":true,"resources":[{{"accountId":"111122223333","type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:us-east-1:111122223333:table/orders-{f}"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"dynamodb.us-east-1.amazonaws.com"}}}}"#,
            f = i % 37,
            h = (i / 3600) % 24,
            m = (i / 60) % 60,
            s = i % 60,
            a = i % 250,
            b = (i / 250) % 250,
        ));
    }
    out.push_str("]}");
    out.into_bytes()
}

fn apigw_lines(n: usize) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..n {
        let q = if i % 10 == 0 {
            format!("' OR {i}={i}--")
        } else {
            format!("item{i}")
        };
        out.push_str(&serde_json_line(i, &q));
        out.push('\n');
    }
    out.into_bytes()
}

fn serde_json_line(i: usize, q: &str) -> String {
    format!(
        r#"{{"resource":"/search","path":"/search","httpMethod":"GET","headers":{{"Authorization":"Bearer abcdefghijklmnop{i}","User-Agent":"Mozilla/5.0","Host":"api.example.com"}},"queryStringParameters":{{"q":{q:?}}},"requestContext":{{"accountId":"111122223333","requestId":"req-{i}","stage":"prod","requestTimeEpoch":1714521600000,"identity":{{"sourceIp":"203.0.113.{ip}","userAgent":"Mozilla/5.0"}}}},"body":null,"isBase64Encoded":false}}"#,
        ip = i % 250
    )
}

fn run(input: &[u8]) -> Counting {
    let mut sink = Counting::default();
    let source: Arc<str> = Arc::from("bench");
    let ctx = Context::default();
    let mut s = Splitter::new(input, 16 << 20);
    s.run(&mut |p| {
        let pos = Position {
            source: source.clone(),
            offset: p.offset,
            line: p.line,
            index: None,
        };
        match p.kind {
            // No `fast_lines` here: whole JSON lines come as `Json`, never as `Line`.
            Kind::Json | Kind::Line => parse::json_record(p.bytes, &pos, &ctx, &mut sink),
            Kind::Text => parse::text_record(p.bytes, &pos, &ctx, &mut sink),
        }
    })
    .expect("in-memory input");
    sink
}

fn benches(c: &mut Criterion) {
    let n = 20_000;
    let doc = cloudtrail_doc(n);
    let check = run(&doc);
    assert_eq!(
        (check.stored, check.bad),
        (n as u64, 0),
        "bench input parses"
    );

    let mut g = c.benchmark_group("split");
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.bench_function("records_document", |b| {
        b.iter(|| {
            let mut k = 0u64;
            Splitter::new(&doc[..], 16 << 20)
                .run(&mut |_| k += 1)
                .unwrap();
            k
        })
    });
    g.finish();

    for (name, input) in [
        ("cloudtrail", doc.clone()),
        ("lambda_apigw", apigw_lines(n)),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function("records", |b| b.iter(|| run(&input).stored));
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function("bytes", |b| b.iter(|| run(&input).stored));
        g.finish();
    }
}

criterion_group! {
    name = parsers;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(parsers);
