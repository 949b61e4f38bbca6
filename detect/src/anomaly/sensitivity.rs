//! How much it matters that a principal calls an API for the first time: a data
//! table of sensitive CloudTrail APIs with a weight (0–1) and the ATT&CK technique
//! the call serves.
//!
//! Patterns are `service:Name` with an optional trailing `*` (prefix match), the
//! service being the first label of `eventSource` (`iam` for `iam.amazonaws.com`).
//! Lambda's event names carry an API version (`UpdateFunctionCode20150331v2`), so its
//! entries are prefixes. The first matching entry wins, so specific entries come
//! before wildcards.

/// One sensitive API pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sensitivity {
    /// `service:Name` or `service:Prefix*`.
    pub pattern: &'static str,
    /// 0 (harmless) – 1 (account takeover, logging disabled).
    pub weight: f64,
    /// ATT&CK tags (`attack.<tactic>`, `attack.t<id>`).
    pub tags: &'static [&'static str],
}

const PERSIST: &[&str] = &["attack.persistence", "attack.t1098.001"];
const PRIVESC: &[&str] = &["attack.privilege_escalation", "attack.t1098.003"];
const CREDS: &[&str] = &["attack.credential_access", "attack.t1555.006"];
const EVASION: &[&str] = &["attack.defense_evasion", "attack.t1562.008"];
const EXEC: &[&str] = &["attack.execution", "attack.t1648"];
const EXFIL: &[&str] = &["attack.exfiltration", "attack.t1537"];
const LATERAL: &[&str] = &["attack.lateral_movement", "attack.t1021.007"];

/// The table.
#[rustfmt::skip]
pub const SENSITIVE_APIS: &[Sensitivity] = &[
    // IAM: new credentials, policies, trust.
    Sensitivity { pattern: "iam:CreateAccessKey", weight: 0.95, tags: PERSIST },
    Sensitivity { pattern: "iam:CreateLoginProfile", weight: 0.9, tags: PERSIST },
    Sensitivity { pattern: "iam:UpdateLoginProfile", weight: 0.9, tags: PERSIST },
    Sensitivity { pattern: "iam:UpdateAssumeRolePolicy", weight: 0.95, tags: PRIVESC },
    Sensitivity { pattern: "iam:PassRole", weight: 0.8, tags: PRIVESC },
    Sensitivity { pattern: "iam:Attach*", weight: 0.9, tags: PRIVESC },
    Sensitivity { pattern: "iam:Put*Policy", weight: 0.9, tags: PRIVESC },
    Sensitivity { pattern: "iam:CreatePolicyVersion", weight: 0.9, tags: PRIVESC },
    Sensitivity { pattern: "iam:SetDefaultPolicyVersion", weight: 0.9, tags: PRIVESC },
    Sensitivity { pattern: "iam:AddUserToGroup", weight: 0.85, tags: PRIVESC },
    Sensitivity { pattern: "iam:Delete*PermissionsBoundary", weight: 0.9, tags: PRIVESC },
    Sensitivity { pattern: "iam:CreateUser", weight: 0.85, tags: PERSIST },
    Sensitivity { pattern: "iam:CreateRole", weight: 0.75, tags: PERSIST },
    Sensitivity { pattern: "iam:Create*", weight: 0.7, tags: PERSIST },
    Sensitivity { pattern: "iam:Delete*", weight: 0.5, tags: &["attack.impact", "attack.t1531"] },
    // STS.
    Sensitivity { pattern: "sts:GetFederationToken", weight: 0.85, tags: PERSIST },
    Sensitivity { pattern: "sts:GetSessionToken", weight: 0.5, tags: &["attack.defense_evasion", "attack.t1550.001"] },
    // Secrets and keys.
    Sensitivity { pattern: "secretsmanager:GetSecretValue", weight: 0.85, tags: CREDS },
    Sensitivity { pattern: "secretsmanager:BatchGetSecretValue", weight: 0.85, tags: CREDS },
    Sensitivity { pattern: "secretsmanager:PutSecretValue", weight: 0.6, tags: CREDS },
    Sensitivity { pattern: "ssm:GetParameter*", weight: 0.6, tags: CREDS },
    Sensitivity { pattern: "kms:Decrypt", weight: 0.7, tags: CREDS },
    Sensitivity { pattern: "kms:CreateGrant", weight: 0.75, tags: PRIVESC },
    Sensitivity { pattern: "kms:PutKeyPolicy", weight: 0.9, tags: PRIVESC },
    Sensitivity { pattern: "kms:ScheduleKeyDeletion", weight: 0.9, tags: &["attack.impact", "attack.t1485"] },
    Sensitivity { pattern: "kms:DisableKey", weight: 0.85, tags: &["attack.impact", "attack.t1485"] },
    // Lambda: code, permissions, triggers.
    Sensitivity { pattern: "lambda:UpdateFunctionCode*", weight: 0.9, tags: EXEC },
    Sensitivity { pattern: "lambda:UpdateFunctionUrlConfig*", weight: 0.8, tags: PERSIST },
    Sensitivity { pattern: "lambda:CreateFunctionUrlConfig*", weight: 0.8, tags: PERSIST },
    Sensitivity { pattern: "lambda:AddPermission*", weight: 0.85, tags: PERSIST },
    // Routine for deploy roles and developers; its dangerous forms (role swap, layers,
    // environment) have rules of their own, so a first call alone is a hunting signal.
    Sensitivity { pattern: "lambda:UpdateFunctionConfiguration*", weight: 0.5, tags: EXEC },
    Sensitivity { pattern: "lambda:CreateFunction*", weight: 0.7, tags: EXEC },
    Sensitivity { pattern: "lambda:CreateEventSourceMapping*", weight: 0.55, tags: EXEC },
    Sensitivity { pattern: "lambda:PublishLayerVersion*", weight: 0.6, tags: EXEC },
    Sensitivity { pattern: "lambda:GetFunction", weight: 0.4, tags: CREDS },
    // EC2 and snapshots.
    Sensitivity { pattern: "ec2:ModifyInstanceAttribute", weight: 0.8, tags: EXEC },
    Sensitivity { pattern: "ec2:ModifySnapshotAttribute", weight: 0.9, tags: EXFIL },
    Sensitivity { pattern: "ec2:ModifyImageAttribute", weight: 0.8, tags: EXFIL },
    Sensitivity { pattern: "ec2:GetPasswordData", weight: 0.85, tags: CREDS },
    Sensitivity { pattern: "ec2:AuthorizeSecurityGroupIngress", weight: 0.7, tags: &["attack.defense_evasion", "attack.t1562.007"] },
    Sensitivity { pattern: "ec2:CreateKeyPair", weight: 0.65, tags: PERSIST },
    Sensitivity { pattern: "ec2:ImportKeyPair", weight: 0.7, tags: PERSIST },
    Sensitivity { pattern: "ec2:RunInstances", weight: 0.5, tags: &["attack.impact", "attack.t1496"] },
    Sensitivity { pattern: "ssm:SendCommand", weight: 0.9, tags: LATERAL },
    Sensitivity { pattern: "ssm:StartSession", weight: 0.8, tags: LATERAL },
    Sensitivity { pattern: "rds:ModifyDBSnapshotAttribute", weight: 0.9, tags: EXFIL },
    // S3 exposure.
    Sensitivity { pattern: "s3:PutBucketPolicy", weight: 0.8, tags: EXFIL },
    Sensitivity { pattern: "s3:PutBucketAcl", weight: 0.7, tags: EXFIL },
    Sensitivity { pattern: "s3:DeleteBucketPolicy", weight: 0.6, tags: EVASION },
    Sensitivity { pattern: "s3:PutBucketPublicAccessBlock", weight: 0.75, tags: EXFIL },
    Sensitivity { pattern: "s3:DeletePublicAccessBlock", weight: 0.8, tags: EXFIL },
    Sensitivity { pattern: "s3:PutBucketReplication", weight: 0.7, tags: EXFIL },
    // Logging and detection.
    Sensitivity { pattern: "cloudtrail:StopLogging", weight: 1.0, tags: EVASION },
    Sensitivity { pattern: "cloudtrail:DeleteTrail", weight: 1.0, tags: EVASION },
    Sensitivity { pattern: "cloudtrail:UpdateTrail", weight: 0.8, tags: EVASION },
    Sensitivity { pattern: "cloudtrail:PutEventSelectors", weight: 0.8, tags: EVASION },
    Sensitivity { pattern: "guardduty:DeleteDetector", weight: 1.0, tags: EVASION },
    Sensitivity { pattern: "guardduty:UpdateDetector", weight: 0.8, tags: EVASION },
    Sensitivity { pattern: "config:StopConfigurationRecorder", weight: 0.9, tags: EVASION },
    Sensitivity { pattern: "config:DeleteConfigurationRecorder", weight: 0.9, tags: EVASION },
    Sensitivity { pattern: "logs:DeleteLogGroup", weight: 0.7, tags: EVASION },
    Sensitivity { pattern: "logs:DeleteLogStream", weight: 0.6, tags: EVASION },
    Sensitivity { pattern: "organizations:LeaveOrganization", weight: 1.0, tags: EVASION },
];

/// The service of an `eventSource`: `iam` for `iam.amazonaws.com`.
pub fn service_of(event_source: &str) -> &str {
    event_source.split('.').next().unwrap_or(event_source)
}

/// The first entry of [`SENSITIVE_APIS`] matching the call.
pub fn lookup(event_source: &str, event_name: &str) -> Option<&'static Sensitivity> {
    let service = service_of(event_source);
    SENSITIVE_APIS.iter().find(|s| {
        let Some((svc, name)) = s.pattern.split_once(':') else {
            return false;
        };
        svc == service && matches(name, event_name)
    })
}

/// `pattern` with at most one `*` (any run of characters) against `name`.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((prefix, suffix)) => {
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
        }
    }
}

/// The weight of a call: the table's, else `read_only_weight` for a read-only call
/// (`readOnly: true`, or a `Get`/`List`/`Describe` name when the flag is missing),
/// else `write_weight`.
/// True when a first call of the API can be softened for a principal that already
/// administers its service: not an account-takeover API (weight ≥ 0.9), and not one
/// whose purpose is credential access, privilege escalation or defence evasion.
pub fn may_be_familiar(entry: Option<&Sensitivity>) -> bool {
    entry.is_none_or(|e| e.weight < 0.9 && ![CREDS, PRIVESC, EVASION].contains(&e.tags))
}

/// The sensitivity weight of a call: its table entry, else `read_only_weight` or
/// `write_weight`.
pub fn weight(
    event_source: &str,
    event_name: &str,
    read_only: Option<bool>,
    read_only_weight: f64,
    write_weight: f64,
) -> (f64, Option<&'static Sensitivity>) {
    if let Some(s) = lookup(event_source, event_name) {
        return (s.weight, Some(s));
    }
    let reads = read_only.unwrap_or_else(|| {
        ["Get", "List", "Describe", "Head", "Lookup"]
            .iter()
            .any(|p| event_name.starts_with(p))
    });
    (
        if reads {
            read_only_weight
        } else {
            write_weight
        },
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_specific_first() {
        let w = |src, name| lookup(src, name).map(|s| s.weight);
        assert_eq!(w("iam.amazonaws.com", "CreateAccessKey"), Some(0.95));
        assert_eq!(w("iam.amazonaws.com", "CreateInstanceProfile"), Some(0.7));
        assert_eq!(w("iam.amazonaws.com", "AttachRolePolicy"), Some(0.9));
        assert_eq!(w("iam.amazonaws.com", "PutUserPolicy"), Some(0.9));
        assert_eq!(
            w("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"),
            Some(0.9)
        );
        assert_eq!(w("s3.amazonaws.com", "GetObject"), None);
        assert_eq!(w("iam.amazonaws.com", "ListRoles"), None);
    }

    #[test]
    fn unknown_reads_and_writes_get_the_configured_weights() {
        assert_eq!(
            weight("s3.amazonaws.com", "GetObject", Some(true), 0.0, 0.2).0,
            0.0
        );
        assert_eq!(
            weight("ec2.amazonaws.com", "CreateTags", Some(false), 0.0, 0.2).0,
            0.2
        );
        assert_eq!(
            weight("ec2.amazonaws.com", "DescribeVpcs", None, 0.1, 0.2).0,
            0.1
        );
        assert_eq!(
            weight("kms.amazonaws.com", "Decrypt", Some(true), 0.0, 0.2).0,
            0.7
        );
        // The table's order: specific entries are not shadowed by wildcards.
        for (i, s) in SENSITIVE_APIS.iter().enumerate() {
            let (svc, name) = s.pattern.split_once(':').unwrap();
            let concrete = name.replace('*', "X");
            let first = lookup(&format!("{svc}.amazonaws.com"), &concrete).unwrap();
            assert!(
                first.pattern == SENSITIVE_APIS[i].pattern,
                "{} is shadowed by {}",
                s.pattern,
                first.pattern
            );
        }
    }
}
