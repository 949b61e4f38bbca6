//! Writing query results as `table` (aligned text for people), `csv` (a header line,
//! then one line per row) or `json` (one JSON array of row objects, `[]` when empty).
//!
//! Before writing, columns are made printable the same way for every format:
//! timestamps are shown in UTC as RFC 3339 (`2024-01-01T10:00:00Z`), whatever their
//! time zone (a timestamp without one is taken as UTC); unions (what the JSON `->`
//! operator returns) become their value as text; for CSV, nested values (lists,
//! structs, maps) become their text form. JSON rows carry every column, `null`
//! included, so that each object has the same keys.

use std::fmt;
use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringBuilder, UnionArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::DetectError;
use crate::lake::QueryResult;

/// How query results are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// An aligned text table, for people.
    #[default]
    Table,
    /// CSV: a header line, then one line per row.
    Csv,
    /// One JSON array of row objects.
    Json,
}

impl OutputFormat {
    /// Every format, in the order of the CLI's help.
    pub const ALL: [OutputFormat; 3] = [OutputFormat::Table, OutputFormat::Csv, OutputFormat::Json];

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutputFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown output format {s:?} (expected table, csv or json)"))
    }
}

/// Writes a collected query result to `out` in `format`.
pub fn write_result(
    out: &mut dyn Write,
    format: OutputFormat,
    result: &QueryResult,
) -> Result<(), DetectError> {
    write_batches(out, format, &result.schema, &result.batches)
}

/// Writes `batches` (all of schema `schema`, possibly none) to `out` in `format`.
///
/// An I/O failure of `out` is a [`DetectError::Output`] of the same
/// [`std::io::ErrorKind`] (so [`DetectError::is_broken_pipe`] works), even where
/// arrow's writers report it as text.
pub fn write_batches(
    out: &mut dyn Write,
    format: OutputFormat,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), DetectError> {
    let mut watched = Watched {
        inner: out,
        failure: None,
    };
    let written = write_formatted(&mut watched, format, schema, batches);
    match (written, watched.failure) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(io)) => Err(DetectError::Output(io)),
        (Err(e), None) => Err(DetectError::Output(e)),
    }
}

/// A writer that remembers its first I/O error: arrow's CSV writer turns it into
/// text, losing its kind.
struct Watched<'a> {
    inner: &'a mut dyn Write,
    failure: Option<std::io::Error>,
}

impl Watched<'_> {
    fn watch<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result {
            if self.failure.is_none() {
                self.failure = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        }
        result
    }
}

impl Write for Watched<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.watch(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.watch(result)
    }
}

fn write_formatted(
    out: &mut dyn Write,
    format: OutputFormat,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> std::io::Result<()> {
    let schema = printable_schema(schema, format);
    let batches = batches
        .iter()
        .map(|batch| printable_batch(batch, &schema, format))
        .collect::<Result<Vec<_>, _>>()
        .map_err(arrow_io)?;

    match format {
        OutputFormat::Table => {
            let table = arrow::util::pretty::pretty_format_batches_with_schema(
                Arc::clone(&schema),
                &batches,
            )
            .map_err(arrow_io)?;
            writeln!(out, "{table}")?;
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut *out);
            if batches.is_empty() {
                // The header line, even with no rows.
                writer
                    .write(&RecordBatch::new_empty(Arc::clone(&schema)))
                    .map_err(arrow_io)?;
            }
            for batch in &batches {
                writer.write(batch).map_err(arrow_io)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::JsonArray>(&mut *out);
            for batch in &batches {
                writer.write(batch).map_err(arrow_io)?;
            }
            writer.finish().map_err(arrow_io)?;
            drop(writer);
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// An arrow error while writing, as the I/O error it wraps or an `Other` one (e.g. a
/// type a format cannot write).
fn arrow_io(err: ArrowError) -> std::io::Error {
    match err {
        ArrowError::IoError(_, io) => io,
        other => std::io::Error::other(other),
    }
}

/// The type a column of type `ty` is printed as in `format`.
fn printable_type(ty: &DataType, format: OutputFormat) -> DataType {
    match ty {
        DataType::Timestamp(unit, _) => DataType::Timestamp(*unit, Some("UTC".into())),
        DataType::Union(..) => DataType::Utf8,
        ty if format == OutputFormat::Csv && ty.is_nested() => DataType::Utf8,
        ty => ty.clone(),
    }
}

fn printable_schema(schema: &SchemaRef, format: OutputFormat) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| {
            field
                .as_ref()
                .clone()
                .with_data_type(printable_type(field.data_type(), format))
                // Conversions may produce nulls (e.g. a union's null member).
                .with_nullable(true)
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

fn printable_batch(
    batch: &RecordBatch,
    schema: &SchemaRef,
    format: OutputFormat,
) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .map(|column| printable_column(column, format))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::clone(schema), columns)
}

fn printable_column(column: &ArrayRef, format: OutputFormat) -> Result<ArrayRef, ArrowError> {
    let target = printable_type(column.data_type(), format);
    if &target == column.data_type() {
        return Ok(Arc::clone(column));
    }
    match column.data_type() {
        // Same instants, shown in UTC; a naive timestamp is read as UTC.
        DataType::Timestamp(..) => cast(column, &target),
        DataType::Union(..) => union_to_text(column),
        _ => as_text(column),
    }
}

/// Each value of `column` as its display text (nulls stay null).
fn as_text(column: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let formatter = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())?;
    let mut text = StringBuilder::with_capacity(column.len(), column.len() * 8);
    for i in 0..column.len() {
        if column.is_null(i) {
            text.append_null();
        } else {
            text.append_value(formatter.value(i).to_string());
        }
    }
    Ok(Arc::new(text.finish()))
}

/// Each value of a union column as the text of its member value: a JSON value from
/// `->` prints as `42`, `abc` or `{"a":1}` rather than `{int=42}`.
fn union_to_text(column: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let (Some(union), DataType::Union(fields, _)) = (
        column.as_any().downcast_ref::<UnionArray>(),
        column.data_type(),
    ) else {
        return Err(ArrowError::InvalidArgumentError(format!(
            "expected a union column, got {}",
            column.data_type()
        )));
    };
    let options = FormatOptions::default();
    // One formatter and null mask per member, by type id.
    let mut members = Vec::new();
    for (type_id, _) in fields.iter() {
        let child = union.child(type_id);
        let formatter = ArrayFormatter::try_new(child.as_ref(), &options)?;
        members.push((type_id, child.logical_nulls(), formatter));
    }
    let mut text = StringBuilder::with_capacity(union.len(), union.len() * 8);
    for i in 0..union.len() {
        let type_id = union.type_id(i);
        let offset = union.value_offset(i);
        match members.iter().find(|(id, ..)| *id == type_id) {
            Some((_, nulls, formatter)) if nulls.as_ref().is_none_or(|n| n.is_valid(offset)) => {
                text.append_value(formatter.value(offset).to_string())
            }
            _ => text.append_null(),
        }
    }
    Ok(Arc::new(text.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        Int64Array, ListArray, StringArray, TimestampMicrosecondArray, TimestampSecondArray,
    };
    use arrow::buffer::ScalarBuffer;
    use arrow::datatypes::{Int64Type, UnionFields};

    fn sample() -> (SchemaRef, Vec<RecordBatch>) {
        let batch = RecordBatch::try_from_iter([
            (
                "event_time",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![
                        1_704_103_200_000_000,
                        1_704_103_200_500_000,
                    ])
                    .with_timezone("UTC"),
                ) as ArrayRef,
            ),
            (
                "event_name",
                Arc::new(StringArray::from(vec![Some("AttachRolePolicy"), None])),
            ),
            ("n", Arc::new(Int64Array::from(vec![3, 1]))),
        ])
        .expect("columns have equal lengths");
        (batch.schema(), vec![batch])
    }

    fn render(format: OutputFormat, schema: &SchemaRef, batches: &[RecordBatch]) -> String {
        let mut out = Vec::new();
        write_batches(&mut out, format, schema, batches).expect("writes to a Vec");
        String::from_utf8(out).expect("output is UTF-8")
    }

    #[test]
    fn table_is_aligned_with_utc_times() {
        let (schema, batches) = sample();
        insta::assert_snapshot!(render(OutputFormat::Table, &schema, &batches), @r"
        +--------------------------+------------------+---+
        | event_time               | event_name       | n |
        +--------------------------+------------------+---+
        | 2024-01-01T10:00:00Z     | AttachRolePolicy | 3 |
        | 2024-01-01T10:00:00.500Z |                  | 1 |
        +--------------------------+------------------+---+
        ");
    }

    #[test]
    fn csv_is_header_then_rows() {
        let (schema, batches) = sample();
        insta::assert_snapshot!(render(OutputFormat::Csv, &schema, &batches), @r"
        event_time,event_name,n
        2024-01-01T10:00:00Z,AttachRolePolicy,3
        2024-01-01T10:00:00.500Z,,1
        ");
    }

    #[test]
    fn json_is_one_array_of_objects_with_every_key() {
        let (schema, batches) = sample();
        let text = render(OutputFormat::Json, &schema, &batches);
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        insta::assert_json_snapshot!(value, @r#"
        [
          {
            "event_name": "AttachRolePolicy",
            "event_time": "2024-01-01T10:00:00Z",
            "n": 3
          },
          {
            "event_name": null,
            "event_time": "2024-01-01T10:00:00.500Z",
            "n": 1
          }
        ]
        "#);
    }

    #[test]
    fn empty_results_keep_their_shape() {
        let (schema, _) = sample();
        assert_eq!(render(OutputFormat::Json, &schema, &[]), "[]\n");
        assert_eq!(
            render(OutputFormat::Csv, &schema, &[]),
            "event_time,event_name,n\n"
        );
        let table = render(OutputFormat::Table, &schema, &[]);
        assert!(table.contains("| event_time | event_name | n |"), "{table}");
    }

    #[test]
    fn other_time_zones_and_naive_times_print_in_utc() {
        let batch = RecordBatch::try_from_iter([
            (
                "paris",
                Arc::new(TimestampSecondArray::from(vec![1_704_103_200]).with_timezone("+01:00"))
                    as ArrayRef,
            ),
            (
                "naive",
                Arc::new(TimestampSecondArray::from(vec![1_704_103_200])) as ArrayRef,
            ),
        ])
        .expect("columns have equal lengths");
        let csv = render(OutputFormat::Csv, &batch.schema(), &[batch]);
        assert_eq!(
            csv,
            "paris,naive\n2024-01-01T10:00:00Z,2024-01-01T10:00:00Z\n"
        );
    }

    #[test]
    fn unions_print_their_value_and_csv_flattens_lists() {
        let fields = UnionFields::try_new(
            [0, 1, 2],
            [
                Field::new("null", DataType::Null, true),
                Field::new("int", DataType::Int64, true),
                Field::new("str", DataType::Utf8, true),
            ],
        )
        .expect("distinct type ids");
        let union = UnionArray::try_new(
            fields,
            ScalarBuffer::from(vec![1_i8, 2, 0]),
            None,
            vec![
                Arc::new(arrow::array::NullArray::new(3)) as ArrayRef,
                Arc::new(Int64Array::from(vec![42, 0, 0])),
                Arc::new(StringArray::from(vec!["", "abc", ""])),
            ],
        )
        .expect("sparse union children have the union's length");
        let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            None,
            Some(vec![]),
        ]);
        let batch = RecordBatch::try_from_iter([
            ("v", Arc::new(union) as ArrayRef),
            ("l", Arc::new(list) as ArrayRef),
        ])
        .expect("columns have equal lengths");
        let csv = render(
            OutputFormat::Csv,
            &batch.schema(),
            std::slice::from_ref(&batch),
        );
        assert_eq!(csv, "v,l\n42,\"[1, 2]\"\nabc,\n,[]\n");
        let json = render(OutputFormat::Json, &batch.schema(), &[batch]);
        assert_eq!(
            json,
            r#"[{"v":"42","l":[1,2]},{"v":"abc","l":null},{"v":null,"l":[]}]"#.to_owned() + "\n"
        );
    }

    /// A reader that went away after `room` bytes.
    struct ClosedPipe {
        room: usize,
    }

    impl Write for ClosedPipe {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_reported_as_such_in_every_format() {
        let (schema, batches) = sample();
        for format in OutputFormat::ALL {
            let err = write_batches(&mut ClosedPipe { room: 10 }, format, &schema, &batches)
                .expect_err("the pipe is closed");
            assert!(err.is_broken_pipe(), "{format}: {err:?}");
        }
    }

    #[test]
    fn formats_parse_by_name() {
        assert_eq!("CSV".parse::<OutputFormat>(), Ok(OutputFormat::Csv));
        assert!("xml".parse::<OutputFormat>().is_err());
    }
}
