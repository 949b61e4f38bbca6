//! [`TimeMerge`]: one event-time-ordered stream of batches out of one time-ordered
//! stream per table.
//!
//! Detectors keep one clock over every table they read (brute force counts failed
//! console sign-ins in CloudTrail and 401s in invocations in the same windows): a
//! window closes once the newest event seen is `lateness` past its end, and later
//! events for it are dropped. Fed one table after the other, the second table's events
//! all arrive behind the first table's clock. The merge hands them out interleaved so
//! that no event is more than `slack` behind the newest one handed out before it.
//!
//! Batches are sliced, never copied. A slice runs from the current row of the table
//! whose next event is the earliest up to `slack` past the earliest next event of the
//! other tables, so with a slack of half the detectors' lateness slices stay large
//! (minutes of events) instead of alternating row by row between interleaved tables.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::TimestampMicrosecondType;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use tripline_ingest::Table;

use crate::error::DetectError;

/// A batch being handed out, from row `at` on.
struct Head {
    table: Table,
    batch: RecordBatch,
    at: usize,
}

impl Head {
    /// Event time of row `row` (µs). A missing time sorts last, as the lake's
    /// `ORDER BY … NULLS LAST` puts it.
    fn time(&self, row: usize) -> i64 {
        time_at(&self.batch, self.table, row)
    }
}

/// Event time of `row` of a batch of `table` (µs); `i64::MAX` when missing.
pub(crate) fn time_at(batch: &RecordBatch, table: Table, row: usize) -> i64 {
    let Some(col) = batch.column_by_name(table.time_column()) else {
        return i64::MAX;
    };
    match col.as_primitive_opt::<TimestampMicrosecondType>() {
        Some(t) if t.is_valid(row) => t.value(row),
        _ => i64::MAX,
    }
}

/// The merge of per-table streams, each already in event-time order.
///
/// Pull-based: [`TimeMerge::push`] gives a table's next batch when
/// [`TimeMerge::wants`] names it; [`TimeMerge::pop`] hands out the next slice once
/// every open table has a batch waiting (or has ended, [`TimeMerge::end`]).
pub struct TimeMerge {
    heads: Vec<Option<Head>>,
    open: Vec<bool>,
    tables: Vec<Table>,
    slack_us: i64,
}

impl TimeMerge {
    /// A merge of `tables`, handing out events at most `slack_us` behind the newest
    /// one handed out.
    pub fn new(tables: &[Table], slack_us: i64) -> Self {
        TimeMerge {
            heads: tables.iter().map(|_| None).collect(),
            open: vec![true; tables.len()],
            tables: tables.to_vec(),
            slack_us: slack_us.max(0),
        }
    }

    /// The first table (index into the `tables` given to [`Self::new`]) whose next
    /// batch the merge needs before it can hand anything out; `None` when it can.
    pub fn wants(&self) -> Option<usize> {
        (0..self.tables.len()).find(|&i| self.open[i] && self.heads[i].is_none())
    }

    /// The next batch of table `i`. Empty batches are skipped. Rows must not go back
    /// in time within a table (a table's stream is sorted).
    pub fn push(&mut self, i: usize, batch: RecordBatch) -> Result<(), DetectError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if self.heads[i].is_some() {
            return Err(DetectError::Internal(format!(
                "time merge: a second batch of {} before the first was handed out",
                self.tables[i].name()
            )));
        }
        self.heads[i] = Some(Head {
            table: self.tables[i],
            batch,
            at: 0,
        });
        Ok(())
    }

    /// Table `i` has no more batches.
    pub fn end(&mut self, i: usize) {
        self.open[i] = false;
    }

    /// The next slice in event-time order, or `None` when a table's next batch is
    /// needed first ([`Self::wants`]) or every table has ended and been handed out.
    pub fn pop(&mut self) -> Option<(Table, RecordBatch)> {
        if self.wants().is_some() {
            return None;
        }
        // The head with the earliest next event; ties go to the first table, so the
        // order is deterministic.
        let (pick, _) = self
            .heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|h| (i, h.time(h.at))))
            .min_by_key(|&(i, t)| (t, i))?;
        let others = self
            .heads
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != pick)
            .filter_map(|(_, h)| h.as_ref().map(|h| h.time(h.at)))
            .min();
        let head = self.heads[pick].as_mut()?;
        let rows = head.batch.num_rows();
        let end = match others {
            // Everything left in this batch when no other table has events waiting.
            None => rows,
            Some(next) => {
                let bound = next.saturating_add(self.slack_us);
                // Rows are in time order: the first row past the bound, found by
                // bisection. At least one row goes, so the merge always moves.
                let (mut lo, mut hi) = (head.at + 1, rows);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if head.time(mid) <= bound {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                lo
            }
        };
        let slice = head.batch.slice(head.at, end - head.at);
        let table = head.table;
        if end == rows {
            self.heads[pick] = None;
        } else {
            head.at = end;
        }
        Some((table, slice))
    }
}

/// Drives a [`TimeMerge`] over one sorted stream per table: `consume` gets every
/// batch of every stream, in event-time order across tables (up to `slack_us`).
pub async fn merge_streams(
    streams: Vec<(Table, SendableRecordBatchStream)>,
    slack_us: i64,
    mut consume: impl FnMut(Table, RecordBatch) -> Result<(), DetectError>,
) -> Result<(), DetectError> {
    let tables: Vec<Table> = streams.iter().map(|(t, _)| *t).collect();
    let mut streams: Vec<SendableRecordBatchStream> = streams.into_iter().map(|(_, s)| s).collect();
    let mut merge = TimeMerge::new(&tables, slack_us);
    loop {
        while let Some(i) = merge.wants() {
            match streams[i].next().await {
                Some(batch) => {
                    let batch = batch.map_err(|e| DetectError::Execution(Box::new(e)))?;
                    merge.push(i, conform(tables[i], &batch)?)?;
                }
                None => merge.end(i),
            }
        }
        match merge.pop() {
            Some((table, batch)) => consume(table, batch)?,
            None => return Ok(()),
        }
    }
}

/// Casts `batch` to `table`'s canonical schema, column by column by name (the lake
/// adds a `date` partition column, and Parquet may hand strings back as views).
pub fn conform(table: Table, batch: &RecordBatch) -> Result<RecordBatch, DetectError> {
    let schema = table.schema();
    if batch.schema() == schema {
        return Ok(batch.clone());
    }
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let col = batch.column_by_name(field.name()).ok_or_else(|| {
            DetectError::Internal(format!(
                "table {} lacks column {}",
                table.name(),
                field.name()
            ))
        })?;
        columns.push(if col.data_type() == field.data_type() {
            col.clone()
        } else {
            cast(col, field.data_type()).map_err(|e| DetectError::Internal(e.to_string()))?
        });
    }
    RecordBatch::try_new(schema, columns).map_err(|e| DetectError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use super::*;

    /// A two-column batch: the table's time column and an id.
    fn batch(table: Table, times: &[i64]) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new(
                table.time_column(),
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new("id", DataType::Utf8, false),
        ]);
        let ids: Vec<String> = times
            .iter()
            .map(|t| format!("{}{t}", table.name()))
            .collect();
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(TimestampMicrosecondArray::from(times.to_vec()).with_timezone("UTC")),
                Arc::new(StringArray::from(ids)),
            ],
        )
        .expect("columns match the schema")
    }

    /// Runs the merge over per-table lists of batches; returns (table, time) per row.
    fn merge(inputs: Vec<Vec<RecordBatch>>, tables: &[Table], slack: i64) -> Vec<(Table, i64)> {
        let mut queues: Vec<std::collections::VecDeque<RecordBatch>> =
            inputs.into_iter().map(Into::into).collect();
        let mut m = TimeMerge::new(tables, slack);
        let mut out = Vec::new();
        loop {
            while let Some(i) = m.wants() {
                match queues[i].pop_front() {
                    Some(b) => m.push(i, b).expect("one batch at a time"),
                    None => m.end(i),
                }
            }
            let Some((table, b)) = m.pop() else { break };
            out.extend((0..b.num_rows()).map(|r| (table, time_at(&b, table, r))));
        }
        out
    }

    #[test]
    fn interleaves_tables_in_time_order_without_slack() {
        let ct = vec![
            batch(Table::CloudTrail, &[1, 4, 9]),
            batch(Table::CloudTrail, &[10]),
        ];
        let inv = vec![batch(Table::Invocations, &[2, 3, 11])];
        let out = merge(vec![ct, inv], &[Table::CloudTrail, Table::Invocations], 0);
        let times: Vec<i64> = out.iter().map(|&(_, t)| t).collect();
        assert_eq!(times, vec![1, 2, 3, 4, 9, 10, 11]);
        assert_eq!(out[1].0, Table::Invocations);
        assert_eq!(out.len(), 7, "every row handed out once");
    }

    #[test]
    fn slack_bounds_how_far_behind_a_row_may_come() {
        let ct = vec![batch(Table::CloudTrail, &(0..100).collect::<Vec<_>>())];
        let inv = vec![batch(
            Table::Invocations,
            &(0..100).map(|t| t * 2).collect::<Vec<_>>(),
        )];
        let out = merge(vec![ct, inv], &[Table::CloudTrail, Table::Invocations], 10);
        assert_eq!(out.len(), 200);
        let mut newest = i64::MIN;
        for &(_, t) in &out {
            assert!(
                t >= newest.saturating_sub(10),
                "{t} more than the slack behind {newest}"
            );
            newest = newest.max(t);
        }
    }

    #[test]
    fn a_table_that_ends_early_does_not_hold_the_others() {
        let ct = vec![];
        let rt = vec![
            batch(Table::LambdaRuntime, &[5, 6]),
            batch(Table::LambdaRuntime, &[7]),
        ];
        let out = merge(vec![ct, rt], &[Table::CloudTrail, Table::LambdaRuntime], 0);
        assert_eq!(
            out.iter().map(|&(_, t)| t).collect::<Vec<_>>(),
            vec![5, 6, 7]
        );
    }
}
