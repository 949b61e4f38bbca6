//! Files: gzip writers for the two layouts the corpus uses.
//!
//! - CloudTrail, S3 delivery layout: `cloudtrail/AWSLogs/<acct>/CloudTrail/<region>/
//!   YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<rand>.json.gz`, one
//!   `{"Records":[…]}` file per account, region and 5-minute delivery.
//! - Lambda: `lambda/<function>/YYYY/MM/DD/HH.jsonl.gz`, one decoded CloudWatch Logs
//!   subscription payload (`DATA_MESSAGE`) per line (see [`super::lambda_log`]).
//!
//! Gzip headers carry no time and names come from a seeded stream, so one seed gives
//! byte-identical files.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};

use super::event::ApiCall;
use super::rng::{utc, Rng, MIN};
use crate::SimError;

/// Where the corpus goes, and what has been written so far.
pub(crate) struct Output {
    pub dir: PathBuf,
    pub files: u64,
    pub records: u64,
    rng: Rng,
}

impl Output {
    /// Writes under `dir`; file name randomness from `rng`.
    pub fn new(dir: &Path, rng: Rng) -> Output {
        Output {
            dir: dir.to_path_buf(),
            files: 0,
            records: 0,
            rng,
        }
    }

    /// Writes `lines` (each followed by a newline) gzip-compressed to `rel`.
    pub fn write_gz(&mut self, rel: &Path, lines: &[String]) -> Result<(), SimError> {
        let path = self.dir.join(rel);
        let fail = |error| SimError::Write {
            path: path.clone(),
            error,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        let file = std::fs::File::create(&path).map_err(fail)?;
        let mut gz: GzEncoder<_> = GzBuilder::new()
            .mtime(0)
            .write(std::io::BufWriter::new(file), Compression::new(6));
        for l in lines {
            gz.write_all(l.as_bytes()).map_err(fail)?;
            gz.write_all(b"\n").map_err(fail)?;
        }
        gz.finish().and_then(|mut w| w.flush()).map_err(fail)?;
        self.files += 1;
        Ok(())
    }

    /// Writes a plain (uncompressed) file.
    pub fn write_plain(&mut self, rel: &str, text: &str) -> Result<(), SimError> {
        let path = self.dir.join(rel);
        std::fs::write(&path, text).map_err(|error| SimError::Write { path, error })
    }

    /// Writes one hour of CloudTrail calls (any order), `render` giving each record.
    pub fn cloudtrail(
        &mut self,
        calls: &[ApiCall],
        render: &mut dyn FnMut(&ApiCall) -> String,
    ) -> Result<(), SimError> {
        let mut files: BTreeMap<(String, String, i64), Vec<&ApiCall>> = BTreeMap::new();
        for c in calls {
            let bucket = c.time_us.div_euclid(5 * MIN);
            files
                .entry((c.account.clone(), c.region.clone(), bucket))
                .or_default()
                .push(c);
        }
        for ((acct, region, bucket), mut cs) in files {
            cs.sort_by(|a, b| a.time_us.cmp(&b.time_us).then(a.event_id.cmp(&b.event_id)));
            let records: Vec<String> = cs.iter().map(|c| render(c)).collect();
            self.records += records.len() as u64;
            let body = format!("{{\"Records\":[{}]}}", records.join(","));
            let delivered = (bucket + 1) * 5 * MIN + self.rng.range(1, 4) as i64 * MIN;
            let t = utc(delivered);
            let rel = PathBuf::from(format!(
                "cloudtrail/AWSLogs/{acct}/CloudTrail/{region}/{}/{acct}_CloudTrail_{region}_{}_{}.json.gz",
                t.format("%Y/%m/%d"),
                t.format("%Y%m%dT%H%MZ"),
                self.rng.alnum(16)
            ));
            self.write_gz(&rel, &[body])?;
        }
        Ok(())
    }
}
