//! Typed, by-name access to the columns of a batch, whatever physical type the batch
//! carries them in.
//!
//! Batches reach the baselines and the detectors from two places: ingest's builders
//! (`Utf8`, `Int32`, `Timestamp(µs, "UTC")`) and DataFusion scans of the lake, which
//! may hand strings back as `Utf8View` and counts as `UInt64`. Each accessor casts its
//! column once per batch (cheap: buffers are shared) and then reads values by index,
//! without allocating per row. A missing column reads as all nulls, so a projection
//! that leaves out an optional column still works; a column that cannot be cast is an
//! error naming it.

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit};
use arrow::record_batch::RecordBatch;

/// Casts column `name` of `batch` to `to`; `None` when the batch has no such column.
fn cast_column(batch: &RecordBatch, name: &str, to: &DataType) -> Result<Option<ArrayRef>, String> {
    let Some(column) = batch.column_by_name(name) else {
        return Ok(None);
    };
    if column.data_type() == to {
        return Ok(Some(column.clone()));
    }
    let from = column.data_type().clone();
    let column = match (&from, to) {
        // Timestamps of any unit or zone become µs, then their raw value.
        (DataType::Timestamp(unit, _), DataType::Int64) if *unit != TimeUnit::Microsecond => {
            cast(column, &DataType::Timestamp(TimeUnit::Microsecond, None))
                .map_err(|e| format!("column {name}: {e}"))?
        }
        _ => column.clone(),
    };
    cast(&column, to)
        .map(Some)
        .map_err(|e| format!("column {name} of type {from} cannot be read as {to}: {e}"))
}

/// A string column; empty strings read as missing.
pub(crate) struct StrCol(Option<StringArray>);

impl StrCol {
    /// Column `name` of `batch`.
    pub(crate) fn new(batch: &RecordBatch, name: &str) -> Result<Self, String> {
        let array = cast_column(batch, name, &DataType::Utf8)?;
        Ok(StrCol(array.and_then(|a| {
            a.as_any().downcast_ref::<StringArray>().cloned()
        })))
    }

    /// Row `i`, `None` when null, empty or absent.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&str> {
        let array = self.0.as_ref()?;
        if array.is_null(i) {
            return None;
        }
        let value = array.value(i);
        (!value.is_empty()).then_some(value)
    }
}

/// An integer column (any integer type, or a timestamp as µs since the epoch).
pub(crate) struct I64Col(Option<Int64Array>);

impl I64Col {
    /// Column `name` of `batch`.
    pub(crate) fn new(batch: &RecordBatch, name: &str) -> Result<Self, String> {
        let array = cast_column(batch, name, &DataType::Int64)?;
        Ok(I64Col(array.and_then(|a| {
            a.as_any().downcast_ref::<Int64Array>().cloned()
        })))
    }

    /// Column `name`, which must be present (a table's time column).
    pub(crate) fn required(batch: &RecordBatch, name: &str) -> Result<Self, String> {
        let col = Self::new(batch, name)?;
        if col.0.is_none() {
            return Err(format!("the batch has no {name} column"));
        }
        Ok(col)
    }

    /// Row `i`, `None` when null or absent.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<i64> {
        let array = self.0.as_ref()?;
        (!array.is_null(i)).then(|| array.value(i))
    }
}

/// A floating-point column (any numeric type).
pub(crate) struct F64Col(Option<Float64Array>);

impl F64Col {
    /// Column `name` of `batch`.
    pub(crate) fn new(batch: &RecordBatch, name: &str) -> Result<Self, String> {
        let array = cast_column(batch, name, &DataType::Float64)?;
        Ok(F64Col(array.and_then(|a| {
            a.as_any().downcast_ref::<Float64Array>().cloned()
        })))
    }

    /// Row `i`, `None` when null, absent or not finite.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<f64> {
        let array = self.0.as_ref()?;
        if array.is_null(i) {
            return None;
        }
        let v = array.value(i);
        v.is_finite().then_some(v)
    }
}

/// A boolean column.
pub(crate) struct BoolCol(Option<BooleanArray>);

impl BoolCol {
    /// Column `name` of `batch`.
    pub(crate) fn new(batch: &RecordBatch, name: &str) -> Result<Self, String> {
        let array = cast_column(batch, name, &DataType::Boolean)?;
        Ok(BoolCol(array.and_then(|a| {
            a.as_any().downcast_ref::<BooleanArray>().cloned()
        })))
    }

    /// Row `i`, `None` when null or absent.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<bool> {
        let array = self.0.as_ref()?;
        (!array.is_null(i)).then(|| array.value(i))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{StringViewArray, TimestampMillisecondArray, UInt64Array};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn reads_through_view_and_unit_casts() {
        let schema = Schema::new(vec![
            Field::new("s", DataType::Utf8View, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, None), false),
            Field::new("n", DataType::UInt64, true),
        ]);
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(StringViewArray::from(vec![Some("a"), Some(""), None])),
                Arc::new(TimestampMillisecondArray::from(vec![1, 2, 3])),
                Arc::new(UInt64Array::from(vec![Some(7), None, Some(9)])),
            ],
        )
        .unwrap();
        let s = StrCol::new(&batch, "s").unwrap();
        assert_eq!((s.get(0), s.get(1), s.get(2)), (Some("a"), None, None));
        let t = I64Col::required(&batch, "t").unwrap();
        assert_eq!(t.get(2), Some(3000));
        let n = F64Col::new(&batch, "n").unwrap();
        assert_eq!((n.get(0), n.get(1)), (Some(7.0), None));
        let missing = StrCol::new(&batch, "nope").unwrap();
        assert!(missing.get(0).is_none());
        assert!(I64Col::required(&batch, "nope").is_err());
    }
}
