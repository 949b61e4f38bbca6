//! [`load`]: the version `CURRENT` names, read back from its Parquet files into
//! [`Baselines`].

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::sql::TABLES;
use super::types::{Activity, ApiStats, Baselines, PrincipalBaseline, Robust, RuntimeBaseline};
use super::{baselines_dir, BaselineMeta, META};
use crate::columns::{F64Col, I64Col, StrCol};
use crate::error::DetectError;

/// Loads the version `CURRENT` names; `Ok(None)` when the lake has no baselines yet.
pub fn load(lake: &Path) -> Result<Option<Arc<Baselines>>, DetectError> {
    match tripline_ingest::lake::versions::current_dir(&baselines_dir(lake))? {
        Some(dir) => load_version(&dir).map(|b| Some(Arc::new(b))),
        None => Ok(None),
    }
}

/// Loads one version directory.
pub fn load_version(dir: &Path) -> Result<Baselines, DetectError> {
    let meta_path = dir.join(META);
    let meta_text = std::fs::read(&meta_path)
        .map_err(|e| DetectError::lake(&meta_path, format!("cannot be read: {e}")))?;
    let meta: BaselineMeta = serde_json::from_slice(&meta_text)
        .map_err(|e| DetectError::lake(&meta_path, format!("is not baseline metadata: {e}")))?;

    let mut b = Baselines {
        meta,
        dir: dir.to_path_buf(),
        principals: HashMap::new(),
        functions: HashMap::new(),
        accounts: HashMap::new(),
        function_roles: HashMap::new(),
        pooled_events: 0,
        pooled_access_denied: 0,
        rows_loaded: BTreeMap::new(),
    };
    // Order matters: activity creates the principals the other tables fill in.
    for table in [
        "principal_activity",
        "principal_api",
        "principal_profile",
        "principal_values",
        "function_rate",
        "function_profile",
        "function_runtime",
        "function_shapes",
        "function_values",
        "account_values",
    ] {
        debug_assert!(TABLES.contains(&table));
        let path = dir.join(format!("{table}.parquet"));
        let batches = read_parquet(&path)?;
        let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
        b.rows_loaded.insert(table.to_owned(), rows);
        let bad = |reason: String| DetectError::lake(&path, reason);
        for batch in &batches {
            fill(&mut b, table, batch).map_err(bad)?;
        }
    }
    finish(&mut b);
    Ok(b)
}

fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>, DetectError> {
    let bad = |e: &dyn std::fmt::Display| DetectError::lake(path, format!("cannot be read: {e}"));
    let file = File::open(path).map_err(|e| bad(&e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(&e))?
        .build()
        .map_err(|e| bad(&e))?;
    reader.collect::<Result<Vec<_>, _>>().map_err(|e| bad(&e))
}

fn u(v: Option<i64>) -> u64 {
    v.unwrap_or(0).max(0) as u64
}

/// Adds one batch of `table` to the maps.
fn fill(b: &mut Baselines, table: &str, batch: &RecordBatch) -> Result<(), String> {
    let s = |name| StrCol::new(batch, name);
    let i = |name| I64Col::new(batch, name);
    let f = |name| F64Col::new(batch, name);
    let n = batch.num_rows();
    match table {
        "principal_activity" => {
            let (key, account) = (s("principal")?, s("account_id")?);
            let (events, errors, denied) = (i("events")?, i("errors")?, i("access_denied")?);
            let (first, last) = (i("first_seen")?, i("last_seen")?);
            let (first_hour, span, active) =
                (i("first_hour")?, i("span_hours")?, i("active_hours")?);
            let (max_hourly, mean, var) =
                (i("max_hourly")?, f("hourly_mean")?, f("hourly_variance")?);
            for r in 0..n {
                let Some(k) = key.get(r) else { continue };
                let mut hourly =
                    Activity::new(3600, first_hour.get(r).unwrap_or(0), u(span.get(r)));
                hourly.active_buckets = u(active.get(r));
                hourly.total = u(events.get(r));
                hourly.max_per_bucket = u(max_hourly.get(r));
                hourly.mean = mean.get(r).unwrap_or(0.0);
                hourly.variance = var.get(r).unwrap_or(0.0);
                b.principals.insert(
                    k.to_owned(),
                    PrincipalBaseline {
                        account: account.get(r).map(str::to_owned),
                        events: u(events.get(r)),
                        errors: u(errors.get(r)),
                        access_denied: u(denied.get(r)),
                        first_seen_us: first.get(r).unwrap_or(0),
                        last_seen_us: last.get(r).unwrap_or(0),
                        hourly,
                        apis: HashMap::new(),
                        networks16: HashMap::new(),
                        networks24: HashMap::new(),
                        agents: HashMap::new(),
                        regions: HashMap::new(),
                    },
                );
            }
        }
        "principal_api" => {
            let (key, src, name) = (s("principal")?, s("event_source")?, s("event_name")?);
            let (events, errors, denied) = (i("events")?, i("errors")?, i("access_denied")?);
            let (first, last) = (i("first_seen")?, i("last_seen")?);
            for r in 0..n {
                let Some(p) = key.get(r).and_then(|k| b.principals.get_mut(k)) else {
                    continue;
                };
                p.apis
                    .entry(src.get(r).unwrap_or_default().to_owned())
                    .or_default()
                    .insert(
                        name.get(r).unwrap_or_default().to_owned(),
                        ApiStats {
                            events: u(events.get(r)),
                            errors: u(errors.get(r)),
                            access_denied: u(denied.get(r)),
                            first_seen_us: first.get(r).unwrap_or(0),
                            last_seen_us: last.get(r).unwrap_or(0),
                        },
                    );
            }
        }
        "principal_profile" | "function_profile" => {
            let principal = table == "principal_profile";
            let key = s(if principal {
                "principal"
            } else {
                "function_name"
            })?;
            let how = i("hour_of_week")?;
            let count = i(if principal { "events" } else { "invocations" })?;
            for r in 0..n {
                let (Some(k), Some(h)) = (key.get(r), how.get(r)) else {
                    continue;
                };
                let activity = if principal {
                    b.principals.get_mut(k).map(|p| &mut p.hourly)
                } else {
                    b.functions.get_mut(k).and_then(|f| f.per_minute.as_mut())
                };
                if let Some(slot) = activity.and_then(|a| a.profile.get_mut(h as usize)) {
                    *slot += u(count.get(r)) as f64;
                }
            }
        }
        "principal_values" | "function_values" | "account_values" => {
            let owner_col = match table {
                "principal_values" => "principal",
                "function_values" => "function_name",
                _ => "account_id",
            };
            let (owner, kind, value, events) =
                (s(owner_col)?, s("kind")?, s("value")?, i("events")?);
            for r in 0..n {
                let (Some(o), Some(k), Some(v)) = (owner.get(r), kind.get(r), value.get(r)) else {
                    continue;
                };
                let c = u(events.get(r));
                let map = match table {
                    "principal_values" => {
                        let Some(p) = b.principals.get_mut(o) else {
                            continue;
                        };
                        match k {
                            "net16" => &mut p.networks16,
                            "net24" => &mut p.networks24,
                            "agent" => &mut p.agents,
                            "region" => &mut p.regions,
                            _ => continue,
                        }
                    }
                    "function_values" => {
                        let f = b.functions.entry(o.to_owned()).or_default();
                        match k {
                            "net16" => &mut f.exec_networks16,
                            "net24" => &mut f.exec_networks24,
                            "agent" => &mut f.exec_agents,
                            "role" => {
                                f.roles.push(v.to_owned());
                                b.function_roles
                                    .entry(v.to_owned())
                                    .or_default()
                                    .push(o.to_owned());
                                continue;
                            }
                            _ => continue,
                        }
                    }
                    _ => {
                        let a = b.accounts.entry(o.to_owned()).or_default();
                        match k {
                            "region" => {
                                a.events += c;
                                &mut a.regions
                            }
                            "service" => &mut a.services,
                            _ => continue,
                        }
                    }
                };
                map.insert(v.to_owned(), c);
            }
        }
        "function_rate" => fill_function_rate(b, batch)?,
        "function_runtime" => fill_function_runtime(b, batch)?,
        "function_shapes" => {
            let (key, shape, count) = (s("function_name")?, s("payload_shape")?, i("invocations")?);
            for r in 0..n {
                let (Some(k), Some(sh)) = (key.get(r), shape.get(r)) else {
                    continue;
                };
                if let Some(f) = b.functions.get_mut(k) {
                    f.shapes.insert(sh.to_owned(), u(count.get(r)));
                }
            }
        }
        other => return Err(format!("unknown baseline table {other}")),
    }
    Ok(())
}

fn fill_function_rate(b: &mut Baselines, batch: &RecordBatch) -> Result<(), String> {
    let s = |name| StrCol::new(batch, name);
    let i = |name| I64Col::new(batch, name);
    let f = |name| F64Col::new(batch, name);
    let (key, account, region) = (s("function_name")?, s("account_id")?, s("region")?);
    let (inv, with_status, s4, s5) = (
        i("invocations")?,
        i("with_status")?,
        i("status_4xx")?,
        i("status_5xx")?,
    );
    let (throttles, auth, shaped, distinct) = (
        i("throttles")?,
        i("auth_failures")?,
        i("shaped")?,
        i("distinct_shapes")?,
    );
    let (first_minute, span, active, max_pm) = (
        i("first_minute")?,
        i("span_minutes")?,
        i("active_minutes")?,
        i("max_per_minute")?,
    );
    let (mean, var, src_mean, src_max) = (
        f("minute_mean")?,
        f("minute_variance")?,
        f("sources_per_hour_mean")?,
        i("sources_per_hour_max")?,
    );
    for r in 0..batch.num_rows() {
        let Some(k) = key.get(r) else { continue };
        let fb = b.functions.entry(k.to_owned()).or_default();
        fb.account = account.get(r).map(str::to_owned);
        fb.region = region.get(r).map(str::to_owned);
        fb.invocations = u(inv.get(r));
        fb.with_status = u(with_status.get(r));
        fb.status_4xx = u(s4.get(r));
        fb.status_5xx = u(s5.get(r));
        fb.throttles = u(throttles.get(r));
        fb.auth_failures = u(auth.get(r));
        fb.shaped = u(shaped.get(r));
        fb.distinct_shapes = u(distinct.get(r));
        fb.sources_per_hour_mean = src_mean.get(r).unwrap_or(0.0);
        fb.sources_per_hour_max = u(src_max.get(r));
        let mut a = Activity::new(60, first_minute.get(r).unwrap_or(0), u(span.get(r)));
        a.active_buckets = u(active.get(r));
        a.total = fb.invocations;
        a.max_per_bucket = u(max_pm.get(r));
        a.mean = mean.get(r).unwrap_or(0.0);
        a.variance = var.get(r).unwrap_or(0.0);
        fb.per_minute = Some(a);
    }
    Ok(())
}

fn fill_function_runtime(b: &mut Baselines, batch: &RecordBatch) -> Result<(), String> {
    let s = |name| StrCol::new(batch, name);
    let i = |name| I64Col::new(batch, name);
    let f = |name| F64Col::new(batch, name);
    let key = s("function_name")?;
    let (reports, starts, errors, timeouts, cold) = (
        i("reports")?,
        i("starts")?,
        i("errors")?,
        i("timeouts")?,
        i("cold_starts")?,
    );
    let (d_med, d_mad, d_p99) = (
        f("duration_median")?,
        f("duration_mad")?,
        f("duration_p99")?,
    );
    let (m_med, m_mad, m_p99) = (f("memory_median")?, f("memory_mad")?, f("memory_p99")?);
    let memory_mb = i("memory_mb")?;
    let robust = |med: Option<f64>, mad: Option<f64>, p99: Option<f64>| {
        med.map(|median| Robust {
            median,
            mad: mad.unwrap_or(0.0),
            p99: p99.unwrap_or(median),
        })
    };
    for r in 0..batch.num_rows() {
        let Some(k) = key.get(r) else { continue };
        let fb = b.functions.entry(k.to_owned()).or_default();
        fb.runtime = Some(RuntimeBaseline {
            reports: u(reports.get(r)),
            starts: u(starts.get(r)),
            errors: u(errors.get(r)),
            timeouts: u(timeouts.get(r)),
            cold_starts: u(cold.get(r)),
            duration: robust(d_med.get(r), d_mad.get(r), d_p99.get(r)),
            memory: robust(m_med.get(r), m_mad.get(r), m_p99.get(r)),
            memory_mb: memory_mb.get(r),
        });
    }
    Ok(())
}

/// Derived maps: per-account principal counts and API prevalence, pooled priors.
fn finish(b: &mut Baselines) {
    for p in b.principals.values() {
        b.pooled_events += p.events;
        b.pooled_access_denied += p.access_denied;
        let Some(account) = &p.account else { continue };
        let a = b.accounts.entry(account.clone()).or_default();
        a.principals += 1;
        for (src, names) in &p.apis {
            let per_source = a.api_principals.entry(src.clone()).or_default();
            for name in names.keys() {
                *per_source.entry(name.clone()).or_default() += 1;
            }
        }
    }
    for functions in b.function_roles.values_mut() {
        functions.sort();
        functions.dedup();
    }
}
