//! `userIdentity` of a CloudTrail event, parsed once per distinct document.
//!
//! One session's `userIdentity` is the same text in each of its calls (its ARN, access
//! key and `creationDate` do not change), and a busy account has few sessions at a
//! time: a few hundred distinct documents among 4,096 events. The typed parse of those
//! ~700 bytes was the largest cost of a CloudTrail row after the event itself, so each
//! parser thread keeps the fields of the documents it parsed last, keyed by their
//! text: hashing and comparing the text is a fraction of parsing it. The cache is a
//! fixed number of slots (bounded memory whatever the input) and a hit is the same
//! text byte for byte, so the fields are exactly what a parse would give.

use std::cell::RefCell;
use std::hash::BuildHasher;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::str::{flex_bool, Str};
use crate::error::RecordError;

const FORM: &str = "CloudTrail event";

/// The `userIdentity` fields the `cloudtrail` table flattens.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct IdentityFields {
    /// `type`.
    pub kind: Option<Box<str>>,
    /// `principalId`.
    pub principal_id: Option<Box<str>>,
    /// `arn`.
    pub arn: Option<Box<str>>,
    /// `accountId`.
    pub account_id: Option<Box<str>>,
    /// `accessKeyId`.
    pub access_key_id: Option<Box<str>>,
    /// `userName`.
    pub user_name: Option<Box<str>>,
    /// `invokedBy`.
    pub invoked_by: Option<Box<str>>,
    /// `sessionContext.sessionIssuer.arn`.
    pub issuer_arn: Option<Box<str>>,
    /// `sessionContext.attributes.mfaAuthenticated`.
    pub mfa_authenticated: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Identity<'a> {
    #[serde(borrow, rename = "type")]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    principal_id: Option<Str<'a>>,
    #[serde(borrow)]
    arn: Option<Str<'a>>,
    #[serde(borrow)]
    account_id: Option<Str<'a>>,
    #[serde(borrow)]
    access_key_id: Option<Str<'a>>,
    #[serde(borrow)]
    user_name: Option<Str<'a>>,
    #[serde(borrow)]
    invoked_by: Option<Str<'a>>,
    #[serde(borrow)]
    session_context: Option<SessionContext<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    #[serde(borrow)]
    session_issuer: Option<Issuer<'a>>,
    #[serde(borrow)]
    attributes: Option<Attributes<'a>>,
}

#[derive(Deserialize, Default)]
struct Issuer<'a> {
    #[serde(borrow)]
    arn: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Attributes<'a> {
    #[serde(borrow)]
    mfa_authenticated: Option<&'a RawValue>,
}

/// Parses the `userIdentity` document `raw`.
fn parse(raw: &str) -> Result<IdentityFields, RecordError> {
    let id: Identity<'_> = serde_json::from_str(raw)
        .map_err(|e| RecordError::field(FORM, format!("`userIdentity` as an object ({e})")))?;
    let own = |s: &Option<Str<'_>>| s.as_ref().map(|s| Box::from(s.as_str()));
    let session = id.session_context.as_ref();
    Ok(IdentityFields {
        kind: own(&id.kind),
        principal_id: own(&id.principal_id),
        arn: own(&id.arn),
        account_id: own(&id.account_id),
        access_key_id: own(&id.access_key_id),
        user_name: own(&id.user_name),
        invoked_by: own(&id.invoked_by),
        issuer_arn: session
            .and_then(|c| c.session_issuer.as_ref())
            .and_then(|i| own(&i.arn)),
        mfa_authenticated: session
            .and_then(|c| c.attributes.as_ref())
            .and_then(|a| flex_bool(a.mfa_authenticated)),
    })
}

/// Slots of each thread's cache: enough for the sessions active in a busy account.
const SLOTS: usize = 512;

/// Recently parsed documents, one per slot (the slot is chosen by the text's hash).
struct Cache {
    slots: Vec<Option<(Box<str>, IdentityFields)>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache {
        slots: (0..SLOTS).map(|_| None).collect(),
    });
}

/// Calls `use_fields` with the fields of the `userIdentity` document `raw` (`None` or
/// `null`: no identity, all fields empty), parsing it only when this thread has not
/// seen the same text in the slot it hashes to. A document that is not an object is an
/// error naming the field; it is not cached.
pub(crate) fn with_identity<R>(
    raw: Option<&str>,
    use_fields: impl FnOnce(&IdentityFields) -> R,
) -> Result<R, RecordError> {
    let Some(raw) = raw.filter(|r| *r != "null") else {
        return Ok(use_fields(&IdentityFields::default()));
    };
    let slot = foldhash::fast::FixedState::with_seed(0).hash_one(raw) as usize % SLOTS;
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let entry = &mut cache.slots[slot];
        if !matches!(entry, Some((text, _)) if &**text == raw) {
            *entry = Some((Box::from(raw), parse(raw)?));
        }
        let (_, fields) = entry.as_ref().expect("filled above");
        Ok(use_fields(fields))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE: &str = r#"{"type":"AssumedRole","principalId":"AROAX:ci","arn":"arn:aws:sts::1:assumed-role/deployer/ci","accountId":"1","accessKeyId":"ASIAX","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/deployer"},"attributes":{"mfaAuthenticated":"true"}}}"#;

    fn fields(raw: Option<&str>) -> Result<IdentityFields, RecordError> {
        with_identity(raw, IdentityFields::clone)
    }

    #[test]
    fn a_repeated_document_gives_what_a_parse_gives() {
        let first = fields(Some(ROLE)).unwrap();
        assert_eq!(first, parse(ROLE).unwrap());
        assert_eq!(
            first.issuer_arn.as_deref(),
            Some("arn:aws:iam::1:role/deployer")
        );
        assert_eq!(first.mfa_authenticated, Some(true));
        // Served from the cache the second time: the same fields.
        assert_eq!(fields(Some(ROLE)).unwrap(), first);
    }

    #[test]
    fn documents_that_differ_by_a_byte_are_told_apart() {
        // More documents than slots, each differing from the last in one byte, twice
        // over: every answer must be its own document's, whatever slot it shares.
        let doc = |i: usize| ROLE.replace("AROAX:ci", &format!("AROAX:ci-{i:04}"));
        for _ in 0..2 {
            for i in 0..SLOTS * 2 {
                let f = fields(Some(&doc(i))).unwrap();
                assert_eq!(
                    f.principal_id.as_deref(),
                    Some(&*format!("AROAX:ci-{i:04}"))
                );
            }
        }
    }

    #[test]
    fn no_identity_and_bad_identity() {
        assert_eq!(fields(None).unwrap(), IdentityFields::default());
        assert_eq!(fields(Some("null")).unwrap(), IdentityFields::default());
        for bad in ["\"root\"", "5", "true"] {
            let e = fields(Some(bad)).unwrap_err();
            assert!(e.to_string().contains("userIdentity"), "{e}");
            // An error is not cached: asking again fails again.
            assert!(fields(Some(bad)).is_err());
        }
    }
}
