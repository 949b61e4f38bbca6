//! [`BatchFields`]: one batch and the values of its Sigma fields, resolved once and
//! shared by every rule evaluated on it.
//!
//! - Columns are cast to text once (`true`/`false` for booleans, digits for numbers).
//! - Low-cardinality columns (event names and sources, regions, HTTP methods), and
//!   other text columns that turn out repetitive in the batch, are interned: each row
//!   gets the id of its distinct value, tests run once per distinct value, and their
//!   results are cached by test, so the 40 rules that test `eventSource` cost one pass
//!   over the column plus one lookup per row each (and the first, shared test of a
//!   rule costs nothing once another rule has run it).
//! - JSON paths are extracted lazily, only for the rows a rule still needs (those its
//!   cheaper conditions left true), and kept: the next rule asking for the same path
//!   on the same rows pays nothing.

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringArray, StringBuilder};
use arrow::buffer::BooleanBuffer;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use tripline_ingest::Table;

use super::fields::{self, Target};
use super::json;
use super::matcher::StrMatcher;
use crate::error::DetectError;

/// Distinct values above which interning is abandoned (the column is not
/// low-cardinality in this batch after all).
const MAX_DISTINCT: usize = 4096;

/// One batch of a table, and the values of the Sigma fields rules asked for.
pub struct BatchFields<'a> {
    table: Table,
    batch: &'a RecordBatch,
    rows: usize,
    slots: Vec<Slot>,
    index: HashMap<String, usize>,
}

/// The values of one field.
enum Slot {
    /// A column as text, maybe interned.
    Text {
        array: StringArray,
        intern: Option<Interned>,
    },
    /// Values at a JSON path, extracted on demand.
    Json(JsonValues),
    /// A field the table does not keep.
    Absent,
}

/// Per-row ids of distinct values, and test results per distinct value.
struct Interned {
    /// Id of each row's value; [`NULL_ID`] for nulls.
    ids: Vec<u32>,
    /// A row holding each distinct value.
    firsts: Vec<u32>,
    /// Test key → result per distinct value.
    results: HashMap<String, Arc<[bool]>>,
    /// Test key → result on every row (rules often share their first test, e.g.
    /// `eventSource: iam.amazonaws.com`).
    full: HashMap<String, BooleanBuffer>,
}

const NULL_ID: u32 = u32::MAX;

impl<'a> BatchFields<'a> {
    /// Wraps `batch`, a batch of `table` (its canonical schema; string columns may
    /// also be views or dictionaries, as read back from Parquet).
    pub fn new(table: Table, batch: &'a RecordBatch) -> Self {
        BatchFields {
            table,
            batch,
            rows: batch.num_rows(),
            slots: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The table the batch belongs to.
    pub fn table(&self) -> Table {
        self.table
    }

    /// The batch.
    pub fn batch(&self) -> &'a RecordBatch {
        self.batch
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.rows
    }

    /// The values of the Sigma field `sigma_field` (e.g. `userIdentity.arn`,
    /// `requestParameters.userName`, `function_name`), one per row, null when the row
    /// has none — for group-by keys and counted values. A JSON path with several
    /// values in a row gives them as a JSON array text (`["a","b"]`).
    pub fn strings(&mut self, sigma_field: &str) -> Result<ArrayRef, DetectError> {
        self.strings_for(sigma_field, None)
    }

    /// [`Self::strings`] for the rows of `rows` only (all if `None`); other rows of a
    /// JSON path are null. The engine asks for the group keys of the rows a rule
    /// matched: a JSON path is then walked for those rows, not the whole batch.
    pub fn strings_for(
        &mut self,
        sigma_field: &str,
        rows: Option<&BooleanBuffer>,
    ) -> Result<ArrayRef, DetectError> {
        let target = fields::resolve(self.table, sigma_field).ok_or_else(|| {
            DetectError::Eval(format!(
                "no field `{sigma_field}` in the {} table (known: {})",
                self.table.name(),
                fields::known_fields(self.table)
            ))
        })?;
        let slot = self.slot(&target)?;
        self.ensure(slot, rows);
        Ok(match &self.slots[slot] {
            Slot::Text { array, .. } => Arc::new(array.clone()),
            Slot::Absent => arrow::array::new_null_array(&DataType::Utf8, self.rows),
            Slot::Json(v) => {
                let mut b = StringBuilder::with_capacity(self.rows, v.text.len());
                for row in 0..self.rows {
                    if rows.is_some_and(|m| !m.value(row)) || !v.done[row] {
                        b.append_null();
                        continue;
                    }
                    let values: Vec<&str> = v.values(row).collect();
                    match values.as_slice() {
                        [] => b.append_null(),
                        [one] => b.append_value(one),
                        many => b.append_value(serde_json::to_string(many).unwrap_or_default()),
                    }
                }
                Arc::new(b.finish())
            }
        })
    }

    /// The slot of `target`, resolving it on first use.
    pub(crate) fn slot(&mut self, target: &Target) -> Result<usize, DetectError> {
        self.slot_keyed(&target.key(), target)
    }

    /// The slot of `target`, whose [`Target::key`] is `key` (compiled rules keep it,
    /// so that a small batch does not pay for building it per rule).
    pub(crate) fn slot_keyed(&mut self, key: &str, target: &Target) -> Result<usize, DetectError> {
        if let Some(&i) = self.index.get(key) {
            return Ok(i);
        }
        let slot = match target {
            Target::Absent => Slot::Absent,
            Target::Column(c) => {
                let array = self.text_column(c.name)?;
                // Low-cardinality columns are interned whatever the batch; others
                // when they turn out repetitive (a few principals, agents, IPs),
                // giving up after an eighth of the rows when they are not.
                let limit = if c.low_cardinality {
                    MAX_DISTINCT
                } else {
                    (self.rows / 8).max(64)
                };
                let intern = if c.json_text {
                    None
                } else {
                    intern(&array, limit)
                };
                Slot::Text { array, intern }
            }
            Target::Json {
                column,
                path,
                any_case,
            } => Slot::Json(JsonValues::new(
                self.text_column(column.name)?,
                path.clone(),
                *any_case,
            )),
        };
        self.slots.push(slot);
        self.index.insert(key.to_owned(), self.slots.len() - 1);
        Ok(self.slots.len() - 1)
    }

    /// A column of the batch as `Utf8`.
    fn text_column(&self, name: &str) -> Result<StringArray, DetectError> {
        let column = self.batch.column_by_name(name).ok_or_else(|| {
            DetectError::Eval(format!(
                "the batch has no column `{name}`: rules on the {} table need its schema",
                self.table.name()
            ))
        })?;
        let column = match column.data_type() {
            DataType::Utf8 => column.clone(),
            _ => arrow::compute::cast(column, &DataType::Utf8).map_err(|e| {
                DetectError::Eval(format!("column `{name}` cannot be read as text: {e}"))
            })?,
        };
        Ok(column.as_string::<i32>().clone())
    }

    /// Extracts the JSON values of `slot` for the rows of `mask` (all rows if `None`).
    pub(crate) fn ensure(&mut self, slot: usize, mask: Option<&BooleanBuffer>) {
        if let Slot::Json(v) = &mut self.slots[slot] {
            v.ensure(mask);
        }
    }

    /// Rows of `mask` (all if `None`) where `test` holds on some value of `slot`, or
    /// where the slot has no value (`Null`) / has one (`Exists`).
    pub(crate) fn test(
        &mut self,
        slot: usize,
        test: ValueTest<'_>,
        mask: Option<&BooleanBuffer>,
    ) -> BooleanBuffer {
        let rows = self.rows;
        match &mut self.slots[slot] {
            Slot::Absent => match test {
                ValueTest::Null => mask
                    .cloned()
                    .unwrap_or_else(|| BooleanBuffer::new_set(rows)),
                _ => BooleanBuffer::new_unset(rows),
            },
            Slot::Text {
                array,
                intern: Some(intern),
            } => {
                let ids = &intern.ids;
                match test {
                    ValueTest::Null => select(rows, mask, |r| ids[r] == NULL_ID),
                    ValueTest::Exists => select(rows, mask, |r| ids[r] != NULL_ID),
                    ValueTest::Value { key, matches } => {
                        if mask.is_none() {
                            if let Some(hit) = intern.full.get(key) {
                                return hit.clone();
                            }
                        }
                        let results = match intern.results.get(key) {
                            Some(r) => r.clone(),
                            None => {
                                let r: Arc<[bool]> = intern
                                    .firsts
                                    .iter()
                                    .map(|&row| matches(array.value(row as usize)))
                                    .collect();
                                intern.results.insert(key.to_owned(), r.clone());
                                r
                            }
                        };
                        let ids = &intern.ids;
                        let hits = select(rows, mask, |r| {
                            let id = ids[r];
                            id != NULL_ID && results[id as usize]
                        });
                        if mask.is_none() {
                            intern.full.insert(key.to_owned(), hits.clone());
                        }
                        hits
                    }
                }
            }
            Slot::Text {
                array,
                intern: None,
            } => match test {
                ValueTest::Null => select(rows, mask, |r| array.is_null(r)),
                ValueTest::Exists => select(rows, mask, |r| array.is_valid(r)),
                ValueTest::Value { matches, .. } => {
                    select(rows, mask, |r| array.is_valid(r) && matches(array.value(r)))
                }
            },
            Slot::Json(v) => match test {
                ValueTest::Null => select(rows, mask, |r| v.count(r) == 0),
                ValueTest::Exists => select(rows, mask, |r| v.count(r) > 0),
                ValueTest::Value { matches, .. } => {
                    select(rows, mask, |r| v.values(r).any(matches))
                }
            },
        }
    }

    /// Calls `f` with each value of `slot` in `row` until it returns `true`; whether
    /// one did.
    pub(crate) fn any_value(
        &self,
        slot: usize,
        row: usize,
        mut f: impl FnMut(&str) -> bool,
    ) -> bool {
        match &self.slots[slot] {
            Slot::Absent => false,
            Slot::Text { array, .. } => array.is_valid(row) && f(array.value(row)),
            Slot::Json(v) => v.values(row).any(f),
        }
    }

    /// Number of rows.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }
}

/// What [`BatchFields::test`] checks.
pub(crate) enum ValueTest<'t> {
    /// The field has no value.
    Null,
    /// The field has a value.
    Exists,
    /// Some value satisfies `matches`; `key` identifies the test for caching.
    Value {
        /// Cache key of the test.
        key: &'t str,
        /// The test.
        matches: &'t dyn Fn(&str) -> bool,
    },
}

impl<'t> ValueTest<'t> {
    /// A string matcher as a value test.
    pub(crate) fn strings(m: &'t StrMatcher, f: &'t dyn Fn(&str) -> bool) -> Self {
        ValueTest::Value {
            key: m.key(),
            matches: f,
        }
    }
}

/// Rows of `mask` (all rows when `None`) for which `f` holds.
pub(crate) fn select(
    rows: usize,
    mask: Option<&BooleanBuffer>,
    mut f: impl FnMut(usize) -> bool,
) -> BooleanBuffer {
    let mut bits = vec![0u8; rows.div_ceil(8)];
    let mut set = |r: usize| bits[r >> 3] |= 1 << (r & 7);
    match mask {
        None => {
            for r in 0..rows {
                if f(r) {
                    set(r);
                }
            }
        }
        Some(m) => {
            for r in m.set_indices() {
                if f(r) {
                    set(r);
                }
            }
        }
    }
    BooleanBuffer::new(arrow::buffer::Buffer::from_vec(bits), 0, rows)
}

/// Interns a column when it has at most `limit` distinct values.
fn intern(array: &StringArray, limit: usize) -> Option<Interned> {
    let mut map: HashMap<&str, u32> = HashMap::new();
    let mut ids = Vec::with_capacity(array.len());
    let mut firsts = Vec::new();
    let mut last: Option<(&str, u32)> = None;
    for row in 0..array.len() {
        if array.is_null(row) {
            ids.push(NULL_ID);
            continue;
        }
        let v = array.value(row);
        // Logs come in runs of one service or call: skip the hash for a repeat.
        if let Some((prev, id)) = last {
            if prev == v {
                ids.push(id);
                continue;
            }
        }
        let next = firsts.len() as u32;
        let id = *map.entry(v).or_insert(next);
        if id == next {
            if firsts.len() >= limit {
                return None;
            }
            firsts.push(row as u32);
        }
        last = Some((v, id));
        ids.push(id);
    }
    Some(Interned {
        ids,
        firsts,
        results: HashMap::new(),
        full: HashMap::new(),
    })
}

/// Values at one JSON path of a JSON text column, per row, extracted on demand.
struct JsonValues {
    source: StringArray,
    path: Vec<String>,
    any_case: bool,
    /// Row extracted yet.
    done: Vec<bool>,
    all_done: bool,
    /// First span of each row.
    start: Vec<u32>,
    /// Number of values of each row.
    counts: Vec<u32>,
    /// (offset, length) of each value in `text`.
    spans: Vec<(usize, usize)>,
    text: String,
    /// A row extracted already, by the hash of its text: a document seen before in the
    /// batch shares that row's values instead of being walked again. JSON columns
    /// repeat: one session's `userIdentity` is the same text in each of its calls (a
    /// few hundred distinct among 4,096 CloudTrail events).
    seen: HashMap<u64, u32>,
}

/// Texts shorter than this are walked each time: hashing them saves nothing.
const MEMO_MIN_BYTES: usize = 64;

impl JsonValues {
    fn new(source: StringArray, path: Vec<String>, any_case: bool) -> Self {
        let rows = source.len();
        JsonValues {
            source,
            path,
            any_case,
            done: vec![false; rows],
            all_done: rows == 0,
            start: vec![0; rows],
            counts: vec![0; rows],
            spans: Vec::new(),
            text: String::new(),
            seen: HashMap::new(),
        }
    }

    fn ensure(&mut self, mask: Option<&BooleanBuffer>) {
        if self.all_done {
            return;
        }
        match mask {
            Some(m) => {
                for row in m.set_indices() {
                    self.extract(row);
                }
            }
            None => {
                for row in 0..self.source.len() {
                    self.extract(row);
                }
                self.all_done = true;
            }
        }
    }

    fn extract(&mut self, row: usize) {
        if self.done[row] {
            return;
        }
        self.done[row] = true;
        self.start[row] = self.spans.len() as u32;
        if self.source.is_null(row) {
            return;
        }
        let doc = self.source.value(row);
        let key = (doc.len() >= MEMO_MIN_BYTES).then(|| {
            use std::hash::BuildHasher;
            foldhash::fast::FixedState::with_seed(0).hash_one(doc)
        });
        if let Some(key) = key {
            match self.seen.get(&key) {
                // The same text (checked, not trusted to the hash): the same values.
                Some(&prev) if self.source.value(prev as usize) == doc => {
                    let prev = prev as usize;
                    self.start[row] = self.start[prev];
                    self.counts[row] = self.counts[prev];
                    return;
                }
                Some(_) => {}
                None => {
                    self.seen.insert(key, row as u32);
                }
            }
        }
        let (text_len, span_len) = (self.text.len(), self.spans.len());
        let text = &mut self.text;
        let spans = &mut self.spans;
        let ok = json::extract(doc, &self.path, self.any_case, &mut |v: &str| {
            spans.push((text.len(), v.len()));
            text.push_str(v);
        });
        if !ok {
            // Not JSON (or cut short): no values rather than some.
            self.text.truncate(text_len);
            self.spans.truncate(span_len);
        }
        self.counts[row] = (self.spans.len() - span_len) as u32;
    }

    fn count(&self, row: usize) -> u32 {
        self.counts[row]
    }

    fn values(&self, row: usize) -> impl Iterator<Item = &str> + '_ {
        let start = self.start[row] as usize;
        let end = start + self.counts[row] as usize;
        self.spans[start..end]
            .iter()
            .map(|&(o, l)| &self.text[o..o + l])
    }
}
