//! The columns detectors read from each table, resolved once per batch, with the
//! event's id, its evidence JSON and the [`EventContext`] a finding names.
//!
//! Evidence is a compact JSON object of the columns that explain an event (not the
//! whole row: payloads are bounded but can be kilobytes); detectors build it only for
//! the first events of groups that grow large enough to matter.

use arrow::record_batch::RecordBatch;
use serde_json::{json, Map, Value};
use tripline_ingest::Table;

use crate::columns::{BoolCol, F64Col, I64Col, StrCol};
use crate::error::DetectError;
use crate::model::EventContext;

/// The columns of one table, resolved from a batch: what
/// [`super::windowed::Windowed`] reads each row's time from before handing the row to
/// its scorer.
pub(crate) trait Columns: Sized {
    /// Resolves the columns of `batch`; a missing required column is a
    /// [`DetectError::BadBatch`].
    fn read(batch: &RecordBatch) -> Result<Self, DetectError>;

    /// Event time of row `i`, µs.
    fn time(&self, i: usize) -> i64;
}

macro_rules! columns {
    ($($cols:ty),*) => {$(
        impl Columns for $cols {
            fn read(batch: &RecordBatch) -> Result<Self, DetectError> {
                Self::new(batch)
            }

            #[inline]
            fn time(&self, i: usize) -> i64 {
                self.time(i)
            }
        }
    )*};
}

columns!(CloudTrailCols, InvocationCols, RuntimeCols);

fn bad(table: Table, reason: String) -> DetectError {
    DetectError::BadBatch {
        table: table.name(),
        reason,
    }
}

/// Columns of a `cloudtrail` batch.
pub(crate) struct CloudTrailCols {
    pub(crate) time: I64Col,
    pub(crate) event_id: StrCol,
    pub(crate) event_source: StrCol,
    pub(crate) event_name: StrCol,
    pub(crate) region: StrCol,
    pub(crate) account: StrCol,
    pub(crate) source_ip: StrCol,
    pub(crate) user_agent: StrCol,
    pub(crate) principal_type: StrCol,
    pub(crate) principal_arn: StrCol,
    pub(crate) user_name: StrCol,
    pub(crate) access_key: StrCol,
    pub(crate) issuer: StrCol,
    pub(crate) session_name: StrCol,
    pub(crate) invoked_by: StrCol,
    pub(crate) error_code: StrCol,
    pub(crate) error_message: StrCol,
    pub(crate) read_only: BoolCol,
}

impl CloudTrailCols {
    pub(crate) fn new(batch: &RecordBatch) -> Result<Self, DetectError> {
        let t = Table::CloudTrail;
        let s = |n| StrCol::new(batch, n).map_err(|e| bad(t, e));
        Ok(CloudTrailCols {
            time: I64Col::required(batch, "event_time").map_err(|e| bad(t, e))?,
            event_id: s("event_id")?,
            event_source: s("event_source")?,
            event_name: s("event_name")?,
            region: s("aws_region")?,
            account: s("account_id")?,
            source_ip: s("source_ip")?,
            user_agent: s("user_agent")?,
            principal_type: s("principal_type")?,
            principal_arn: s("principal_arn")?,
            user_name: s("user_name")?,
            access_key: s("access_key_id")?,
            issuer: s("session_issuer_arn")?,
            session_name: s("session_name")?,
            invoked_by: s("invoked_by")?,
            error_code: s("error_code")?,
            error_message: s("error_message")?,
            read_only: BoolCol::new(batch, "read_only").map_err(|e| bad(t, e))?,
        })
    }

    /// The principal baselines are keyed by: the session's role, else the ARN.
    #[inline]
    pub(crate) fn principal(&self, i: usize) -> Option<&str> {
        self.issuer.get(i).or_else(|| self.principal_arn.get(i))
    }

    /// Event time, µs (0 when null, which the schema forbids).
    #[inline]
    pub(crate) fn time(&self, i: usize) -> i64 {
        self.time.get(i).unwrap_or(0)
    }

    /// The event as evidence.
    pub(crate) fn evidence(&self, i: usize) -> Value {
        let mut m = Map::new();
        m.insert("table".into(), json!("cloudtrail"));
        m.insert(
            "time".into(),
            json!(crate::baseline::sql::literal(self.time(i))),
        );
        put(&mut m, "event_id", self.event_id.get(i));
        put(&mut m, "event_source", self.event_source.get(i));
        put(&mut m, "event_name", self.event_name.get(i));
        put(&mut m, "aws_region", self.region.get(i));
        put(&mut m, "account_id", self.account.get(i));
        put(&mut m, "source_ip", self.source_ip.get(i));
        put(&mut m, "user_agent", self.user_agent.get(i));
        put(&mut m, "principal_type", self.principal_type.get(i));
        put(&mut m, "principal_arn", self.principal_arn.get(i));
        put(&mut m, "access_key_id", self.access_key.get(i));
        put(&mut m, "session_issuer_arn", self.issuer.get(i));
        put(&mut m, "error_code", self.error_code.get(i));
        put(&mut m, "error_message", self.error_message.get(i));
        Value::Object(m)
    }
}

/// Columns of an `invocations` batch.
pub(crate) struct InvocationCols {
    pub(crate) time: I64Col,
    pub(crate) account: StrCol,
    pub(crate) region: StrCol,
    pub(crate) function: StrCol,
    pub(crate) request_id: StrCol,
    pub(crate) trigger_request_id: StrCol,
    pub(crate) trigger: StrCol,
    pub(crate) source_ip: StrCol,
    pub(crate) user_agent: StrCol,
    pub(crate) method: StrCol,
    pub(crate) path: StrCol,
    pub(crate) payload: StrCol,
    pub(crate) shape: StrCol,
    pub(crate) auth_principal: StrCol,
    pub(crate) status: I64Col,
}

impl InvocationCols {
    pub(crate) fn new(batch: &RecordBatch) -> Result<Self, DetectError> {
        let t = Table::Invocations;
        let s = |n| StrCol::new(batch, n).map_err(|e| bad(t, e));
        Ok(InvocationCols {
            time: I64Col::required(batch, "time").map_err(|e| bad(t, e))?,
            account: s("account_id")?,
            region: s("region")?,
            function: s("function_name")?,
            request_id: s("request_id")?,
            trigger_request_id: s("trigger_request_id")?,
            trigger: s("trigger")?,
            source_ip: s("source_ip")?,
            user_agent: s("user_agent")?,
            method: s("http_method")?,
            path: s("path")?,
            payload: s("payload")?,
            shape: s("payload_shape")?,
            auth_principal: s("auth_principal")?,
            status: I64Col::new(batch, "status_code").map_err(|e| bad(t, e))?,
        })
    }

    /// The function key baselines use (`(unknown)` when the log did not say).
    #[inline]
    pub(crate) fn function(&self, i: usize) -> &str {
        self.function
            .get(i)
            .unwrap_or(crate::baseline::sql::UNKNOWN_FUNCTION)
    }

    /// The event id: Lambda request id, else the trigger's.
    #[inline]
    pub(crate) fn id(&self, i: usize) -> Option<&str> {
        self.request_id
            .get(i)
            .or_else(|| self.trigger_request_id.get(i))
    }

    #[inline]
    pub(crate) fn time(&self, i: usize) -> i64 {
        self.time.get(i).unwrap_or(0)
    }

    /// The event as evidence (the payload's shape, not the payload).
    pub(crate) fn evidence(&self, i: usize) -> Value {
        let mut m = Map::new();
        m.insert("table".into(), json!("invocations"));
        m.insert(
            "time".into(),
            json!(crate::baseline::sql::literal(self.time(i))),
        );
        put(&mut m, "function_name", self.function.get(i));
        put(&mut m, "account_id", self.account.get(i));
        put(&mut m, "region", self.region.get(i));
        put(&mut m, "request_id", self.id(i));
        put(&mut m, "trigger", self.trigger.get(i));
        put(&mut m, "source_ip", self.source_ip.get(i));
        put(&mut m, "user_agent", self.user_agent.get(i));
        put(&mut m, "http_method", self.method.get(i));
        put(&mut m, "path", self.path.get(i));
        put(&mut m, "auth_principal", self.auth_principal.get(i));
        put(&mut m, "payload_shape", self.shape.get(i));
        if let Some(status) = self.status.get(i) {
            m.insert("status_code".into(), json!(status));
        }
        Value::Object(m)
    }
}

/// Columns of a `lambda_runtime` batch.
pub(crate) struct RuntimeCols {
    pub(crate) time: I64Col,
    pub(crate) function: StrCol,
    pub(crate) request_id: StrCol,
    pub(crate) kind: StrCol,
    pub(crate) status: StrCol,
    pub(crate) duration: F64Col,
    pub(crate) memory_mb: F64Col,
    pub(crate) max_memory: F64Col,
    pub(crate) init_ms: F64Col,
    pub(crate) source: StrCol,
}

impl RuntimeCols {
    pub(crate) fn new(batch: &RecordBatch) -> Result<Self, DetectError> {
        let t = Table::LambdaRuntime;
        let s = |n| StrCol::new(batch, n).map_err(|e| bad(t, e));
        let f = |n| F64Col::new(batch, n).map_err(|e| bad(t, e));
        Ok(RuntimeCols {
            time: I64Col::required(batch, "time").map_err(|e| bad(t, e))?,
            function: s("function_name")?,
            request_id: s("request_id")?,
            kind: s("kind")?,
            status: s("status")?,
            duration: f("duration_ms")?,
            memory_mb: f("memory_mb")?,
            max_memory: f("max_memory_mb")?,
            init_ms: f("init_ms")?,
            source: s("source")?,
        })
    }

    #[inline]
    pub(crate) fn time(&self, i: usize) -> i64 {
        self.time.get(i).unwrap_or(0)
    }

    /// The event as evidence.
    pub(crate) fn evidence(&self, i: usize) -> Value {
        let mut m = Map::new();
        m.insert("table".into(), json!("lambda_runtime"));
        m.insert(
            "time".into(),
            json!(crate::baseline::sql::literal(self.time(i))),
        );
        put(&mut m, "function_name", self.function.get(i));
        put(&mut m, "request_id", self.request_id.get(i));
        put(&mut m, "kind", self.kind.get(i));
        put(&mut m, "status", self.status.get(i));
        for (key, col) in [
            ("duration_ms", &self.duration),
            ("memory_mb", &self.memory_mb),
            ("max_memory_mb", &self.max_memory),
            ("init_ms", &self.init_ms),
        ] {
            if let Some(v) = col.get(i) {
                m.insert(key.into(), json!(v));
            }
        }
        Value::Object(m)
    }
}

fn put(m: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        m.insert(key.to_owned(), Value::String(v.to_owned()));
    }
}

/// The actor and place of an evidence event (any table's).
pub(crate) fn context_of(evidence: &Value) -> EventContext {
    let s = |key: &str| evidence.get(key).and_then(Value::as_str).map(str::to_owned);
    let operation = match (s("event_name"), s("http_method"), s("path")) {
        (Some(name), _, _) => Some(name),
        (None, Some(method), Some(path)) => Some(format!("{method} {path}")),
        (None, None, Some(path)) => Some(path),
        _ => s("kind"),
    };
    EventContext {
        account: s("account_id"),
        region: s("aws_region").or_else(|| s("region")),
        principal: s("principal_arn").or_else(|| s("auth_principal")),
        principal_type: s("principal_type"),
        session_issuer: s("session_issuer_arn"),
        access_key: s("access_key_id"),
        source_ip: s("source_ip"),
        user_agent: s("user_agent"),
        function: s("function_name"),
        service: s("event_source").or_else(|| s("trigger")),
        operation,
        resources: Vec::new(),
    }
}
