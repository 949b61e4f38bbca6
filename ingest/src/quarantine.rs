//! The quarantine: every record that could not be parsed, as one JSON line with the
//! reason, where it came from and (a bounded, redacted sample of) its raw bytes, so an
//! operator can see what was rejected, fix the cause and re-ingest.
//!
//! Quarantine files live in `<quarantine>/<source hash>.jsonl`: named by the source like
//! the lake's data files, so ingesting a source twice does not duplicate them. Their
//! lines have one fixed shape ([`QuarantineLine`], [`schema`]), so the lake's default
//! quarantine is also the SQL table `quarantine` (see [`crate::lake::registry`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::Serialize;

use crate::error::{IngestError, RecordError};
use crate::lake::commit_file;
use crate::position::Position;
use crate::redact;

/// Raw bytes kept per quarantined record.
pub const RAW_LIMIT: usize = 4096;

/// The Arrow schema of quarantine lines, for reading them as a table: one column per
/// field of [`QuarantineLine`] (`index` is absent from lines outside an envelope).
pub fn schema() -> SchemaRef {
    std::sync::Arc::new(Schema::new(vec![
        Field::new("reason", DataType::Utf8, true),
        Field::new("kind", DataType::Utf8, true),
        Field::new("source", DataType::Utf8, true),
        Field::new("offset", DataType::UInt64, true),
        Field::new("line", DataType::UInt64, true),
        Field::new("index", DataType::UInt32, true),
        Field::new("raw", DataType::Utf8, true),
        Field::new("raw_len", DataType::UInt64, true),
    ]))
}

/// One quarantine line.
#[derive(Debug, Serialize)]
pub struct QuarantineLine<'a> {
    /// Why the record was rejected, saying what was expected.
    pub reason: String,
    /// Short machine-readable kind of reason (`invalid_json`, `unrecognised`, …).
    pub kind: &'static str,
    /// The file (or `-`, or a Kafka topic/partition).
    pub source: &'a str,
    /// Byte offset of the record in the decompressed stream.
    pub offset: u64,
    /// 1-based line of the record.
    pub line: u64,
    /// Index inside an envelope, if the record came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The record's bytes, lossily decoded, redacted, at most [`RAW_LIMIT`] bytes.
    pub raw: String,
    /// The record's full size in bytes.
    pub raw_len: usize,
}

impl RecordError {
    /// The `kind` of a quarantine line.
    pub fn kind(&self) -> &'static str {
        match self {
            RecordError::Json(_) => "invalid_json",
            RecordError::Unrecognised(_) => "unrecognised",
            RecordError::Field { .. } => "missing_or_invalid_field",
            RecordError::TooLarge { .. } => "too_large",
            RecordError::Truncated(_) => "truncated",
            RecordError::Decode { .. } => "undecodable_envelope",
        }
    }
}

/// Writes the quarantine lines of one source to a temporary file, moved into place by
/// [`QuarantineWriter::commit`].
pub struct QuarantineWriter {
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
    /// Lines written.
    pub count: u64,
}

impl QuarantineWriter {
    /// A writer whose temporary file will be `tmp` (created on the first line).
    pub fn new(tmp: PathBuf) -> Self {
        QuarantineWriter {
            tmp,
            out: None,
            count: 0,
        }
    }

    /// Appends one rejected record.
    pub fn write(
        &mut self,
        pos: &Position,
        raw: &[u8],
        reason: &RecordError,
    ) -> Result<(), IngestError> {
        let lake_err = |source| IngestError::Lake {
            path: self.tmp.clone(),
            source,
        };
        if self.out.is_none() {
            if let Some(dir) = self.tmp.parent() {
                std::fs::create_dir_all(dir).map_err(lake_err)?;
            }
            self.out = Some(BufWriter::new(File::create(&self.tmp).map_err(lake_err)?));
        }
        let cut = floor_char_boundary(raw, RAW_LIMIT);
        let text = String::from_utf8_lossy(&raw[..cut]);
        let line = QuarantineLine {
            reason: redact::text(&reason.to_string()).into_owned(),
            kind: reason.kind(),
            source: &pos.source,
            offset: pos.offset,
            line: pos.line,
            index: pos.index,
            raw: redact::text(&text).into_owned(),
            raw_len: raw.len(),
        };
        // Serialising a struct of strings and integers cannot fail.
        let mut json = serde_json::to_vec(&line).expect("quarantine line serialises");
        json.push(b'\n');
        let out = self.out.as_mut().expect("opened above");
        out.write_all(&json).map_err(|source| IngestError::Lake {
            path: self.tmp.clone(),
            source,
        })?;
        self.count += 1;
        Ok(())
    }

    /// True when no record was quarantined (nothing to commit).
    pub fn is_empty(&self) -> bool {
        self.out.is_none()
    }

    /// Flushes and moves the file to `dest` (atomically, by rename). No-op when no
    /// record was quarantined.
    pub fn commit(mut self, dest: &Path) -> Result<(), IngestError> {
        let Some(out) = self.out.take() else {
            return Ok(());
        };
        let err = |source| IngestError::Lake {
            path: dest.to_path_buf(),
            source,
        };
        let file = out.into_inner().map_err(|e| err(e.into_error()))?;
        file.sync_all().map_err(err)?;
        commit_file(&self.tmp, dest)
    }

    /// Deletes the temporary file (the source was already ingested).
    pub fn discard(mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn floor_char_boundary(b: &[u8], limit: usize) -> usize {
    if b.len() <= limit {
        return b.len();
    }
    let mut i = limit;
    // Back up over UTF-8 continuation bytes so the sample does not end mid-character.
    while i > 0 && (b[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_every_field_of_a_line() {
        let line = QuarantineLine {
            reason: "r".into(),
            kind: "invalid_json",
            source: "a.json",
            offset: 1,
            line: 2,
            index: Some(3),
            raw: "{".into(),
            raw_len: 1,
        };
        let json = serde_json::to_value(&line).expect("serialises");
        let keys: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        let schema = schema();
        let mut fields: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let mut keys = keys;
        keys.sort_unstable();
        fields.sort_unstable();
        assert_eq!(keys, fields);
    }
}
