//! The canonical tables: one file per table holds its Arrow schema (documented field
//! by field), its row type and the builder that turns rows into `RecordBatch`es.
//!
//! All times are `Timestamp(µs, "UTC")`; JSON sub-documents are stored as JSON text,
//! queryable with the JSON functions of `tripline query`.

pub mod cloudtrail;
pub mod invocations;
pub mod lambda_runtime;

use std::sync::{Arc, OnceLock};

use arrow::array::{Array, ArrayRef, StringArray, StringBuilder, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;

pub use cloudtrail::{CloudTrailBuilder, CloudTrailRow};
pub use invocations::{InvocationBuilder, InvocationRow, Trigger};
pub use lambda_runtime::{RuntimeBuilder, RuntimeKind, RuntimeRow};

/// One of the lake's tables written by ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// CloudTrail management and data events.
    CloudTrail,
    /// Lambda invocations: the event a function received, or its access log.
    Invocations,
    /// Lambda platform lines and function logs.
    LambdaRuntime,
}

impl Table {
    /// Every table ingest writes, in a stable order.
    pub const ALL: [Table; 3] = [Table::CloudTrail, Table::Invocations, Table::LambdaRuntime];

    /// The table's name: the `table=<name>` partition and the SQL table name.
    pub fn name(self) -> &'static str {
        match self {
            Table::CloudTrail => "cloudtrail",
            Table::Invocations => "invocations",
            Table::LambdaRuntime => "lambda_runtime",
        }
    }

    /// The canonical Arrow schema of the table (without the `date` partition column).
    pub fn schema(self) -> arrow::datatypes::SchemaRef {
        match self {
            Table::CloudTrail => cloudtrail::schema(),
            Table::Invocations => invocations::schema(),
            Table::LambdaRuntime => lambda_runtime::schema(),
        }
    }

    /// Name of the time column the lake partitions by date.
    pub fn time_column(self) -> &'static str {
        match self {
            Table::CloudTrail => "event_time",
            Table::Invocations | Table::LambdaRuntime => "time",
        }
    }
}

/// A table's schema, built from `fields` on first use and shared after.
pub(crate) fn schema_once(
    cell: &'static OnceLock<SchemaRef>,
    fields: impl FnOnce() -> Vec<Field>,
) -> SchemaRef {
    cell.get_or_init(|| Arc::new(Schema::new(fields()))).clone()
}

/// The timestamp type of every time column.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// A nullable UTF-8 field (the common case).
pub(crate) fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

/// Builds a timestamp column in UTC from µs values.
pub(crate) fn timestamp_array(values: Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(values).with_timezone("UTC"))
}

/// Finishes a string column and leaves the builder sized like the batch it just built.
///
/// `StringBuilder::finish` hands its buffers to the array and starts again from empty
/// ones, so every batch would regrow each column by doubling and copy its bytes about
/// twice; batches of one source are alike, so the last one is a good size for the next.
pub(crate) fn finish_sized(b: &mut StringBuilder) -> StringArray {
    let array = b.finish();
    let bytes = array.value_data().len();
    *b = StringBuilder::with_capacity(array.len(), bytes + bytes / 8);
    array
}

/// A builder of one table's batches: append rows, then `finish` into a batch.
pub trait TableBuilder {
    /// Rows appended since the last `finish`.
    fn len(&self) -> usize;
    /// True when no row is pending.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Approximate bytes held, to flush by size as well as by rows.
    fn bytes(&self) -> usize;
    /// Takes the pending rows as a batch with the table's schema.
    fn finish(&mut self) -> RecordBatch;
}

/// The three builders one parser worker fills.
#[derive(Default)]
pub struct Tables {
    /// Pending `cloudtrail` rows.
    pub cloudtrail: CloudTrailBuilder,
    /// Pending `invocations` rows.
    pub invocations: InvocationBuilder,
    /// Pending `lambda_runtime` rows.
    pub runtime: RuntimeBuilder,
}

impl Tables {
    /// The builder of `table`.
    pub fn get_mut(&mut self, table: Table) -> &mut dyn TableBuilder {
        match table {
            Table::CloudTrail => &mut self.cloudtrail,
            Table::Invocations => &mut self.invocations,
            Table::LambdaRuntime => &mut self.runtime,
        }
    }

    /// Total rows pending across tables.
    pub fn rows(&self) -> usize {
        self.cloudtrail.len() + self.invocations.len() + self.runtime.len()
    }
}
