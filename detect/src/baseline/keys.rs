//! How raw values become the keys baselines count: a source IP becomes its network,
//! a user agent its family, an error code "access denied" or not.
//!
//! Baselines are built in SQL and scored in Rust, so the two sides must classify a
//! value the same way. Each classification is written once, here, and registered in
//! the build's DataFusion session as a scalar UDF ([`register_udfs`]: `tl_net16`,
//! `tl_net24`, `tl_ua_family`, `tl_denied`) that runs over whole Arrow arrays; the
//! detectors call the same functions row by row.

use std::net::IpAddr;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{create_udf, ColumnarValue, Volatility};
use datafusion::prelude::SessionContext;

/// The network of a caller that is not an IP address: CloudTrail writes the calling
/// service (`lambda.amazonaws.com`) or `AWS Internal` in `sourceIPAddress`.
pub const AWS_INTERNAL: &str = "aws-internal";

/// The user-agent family of Lambda's execution environment: an SDK call whose user
/// agent carries `exec-env/AWS_Lambda_<runtime>`.
pub const LAMBDA_EXEC_ENV: &str = "lambda-exec-env";

/// The marker Lambda's runtimes put in the user agent of SDK calls they make.
pub const EXEC_ENV_MARKER: &str = "exec-env/AWS_Lambda";

/// The network of a source IP: `a.b.0.0/16` (`wide`) or `a.b.c.0/24` for IPv4,
/// `/32` or `/48` for IPv6, [`AWS_INTERNAL`] for a service name; `None` when empty.
///
/// Why two widths: a principal's callers move within a /24 (one office, one NAT
/// pool) and sometimes within a /16 (a provider's range); detectors test membership
/// at /16, to stay quiet on churn, and report the /24.
pub fn network(source_ip: &str, wide: bool) -> Option<String> {
    let text = source_ip.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            let o = ip.octets();
            Some(if wide {
                format!("{}.{}.0.0/16", o[0], o[1])
            } else {
                format!("{}.{}.{}.0/24", o[0], o[1], o[2])
            })
        }
        Ok(IpAddr::V6(ip)) => {
            let s = ip.segments();
            Some(if wide {
                format!("{:x}:{:x}::/32", s[0], s[1])
            } else {
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            })
        }
        Err(_) => Some(AWS_INTERNAL.to_owned()),
    }
}

/// True when `source_ip` is not an IP address: an AWS service calling on a
/// principal's behalf, never a network an attacker controls.
pub fn is_aws_internal(source_ip: &str) -> bool {
    let text = source_ip.trim();
    !text.is_empty() && text.parse::<IpAddr>().is_err()
}

/// True when a user agent is Lambda's execution environment ([`EXEC_ENV_MARKER`]).
pub fn is_exec_env(user_agent: &str) -> bool {
    memchr::memmem::find(user_agent.as_bytes(), EXEC_ENV_MARKER.as_bytes()).is_some()
}

/// The family of a user agent, without versions: `aws-cli`, `boto3`,
/// `aws-sdk-go-v2`, `terraform`, `browser` (any `Mozilla/…`), [`LAMBDA_EXEC_ENV`],
/// `aws-internal`, `aws-service` (`lambda.amazonaws.com`), `aws-console`; otherwise
/// the first product token, lower-cased, at most 32 characters; `None` when empty.
pub fn ua_family(user_agent: &str) -> Option<String> {
    let text = user_agent.trim().trim_start_matches('[').trim();
    if text.is_empty() {
        return None;
    }
    if is_exec_env(text) {
        return Some(LAMBDA_EXEC_ENV.to_owned());
    }
    let lower = text.to_ascii_lowercase();
    let family = if lower.starts_with("aws internal") {
        AWS_INTERNAL
    } else if lower.starts_with("mozilla/") {
        "browser"
    } else if lower.starts_with("console.amazonaws.com")
        || lower.starts_with("signin.amazonaws.com")
        || lower.starts_with("s3console")
    {
        "aws-console"
    } else {
        let token = lower
            .split(['/', ' ', '(', ',', ']'])
            .next()
            .unwrap_or_default();
        if token.ends_with(".amazonaws.com") {
            "aws-service"
        } else {
            return Some(token.chars().take(32).collect());
        }
    };
    Some(family.to_owned())
}

/// True when a CloudTrail `errorCode` means the caller lacked permission
/// (`AccessDenied`, `AccessDeniedException`, `Client.UnauthorizedOperation`, …), as
/// opposed to a failed request of another kind.
pub fn is_access_denied(error_code: &str) -> bool {
    error_code.contains("AccessDenied")
        || error_code.contains("UnauthorizedOperation")
        || error_code == "AuthorizationError"
        || error_code == "UnauthorizedAccess"
}

/// Registers the classifications as scalar UDFs of `ctx`: `tl_net16(ip)`,
/// `tl_net24(ip)`, `tl_ua_family(ua)` (strings) and `tl_denied(error_code)`
/// (boolean, false for null).
pub fn register_udfs(ctx: &SessionContext) {
    let string_udf = |name: &str, f: fn(&str) -> Option<String>| {
        create_udf(
            name,
            vec![DataType::Utf8],
            DataType::Utf8,
            Volatility::Immutable,
            Arc::new(move |args: &[ColumnarValue]| {
                let input = single_utf8(args)?;
                let out: StringArray = input
                    .iter()
                    .map(|v| v.and_then(f))
                    .collect::<Vec<_>>()
                    .into();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }),
        )
    };
    ctx.register_udf(string_udf("tl_net16", |ip| network(ip, true)));
    ctx.register_udf(string_udf("tl_net24", |ip| network(ip, false)));
    ctx.register_udf(string_udf("tl_ua_family", ua_family));
    ctx.register_udf(create_udf(
        "tl_denied",
        vec![DataType::Utf8],
        DataType::Boolean,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let input = single_utf8(args)?;
            let out: BooleanArray = input
                .iter()
                .map(|v| Some(v.is_some_and(is_access_denied)))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    ));
}

/// The one string argument of a UDF as a `StringArray`.
fn single_utf8(args: &[ColumnarValue]) -> Result<StringArray, DataFusionError> {
    let [arg] = args else {
        return Err(DataFusionError::Internal(format!(
            "expected one argument, got {}",
            args.len()
        )));
    };
    let array: ArrayRef = arg.to_array(1)?;
    let array = cast(&array, &DataType::Utf8)?;
    array
        .as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| DataFusionError::Internal("cast to Utf8 gave another type".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_at_two_widths() {
        assert_eq!(network("203.0.113.9", true).unwrap(), "203.0.0.0/16");
        assert_eq!(network("203.0.113.9", false).unwrap(), "203.0.113.0/24");
        assert_eq!(network("2001:db8:1:2::9", true).unwrap(), "2001:db8::/32");
        assert_eq!(
            network("2001:db8:1:2::9", false).unwrap(),
            "2001:db8:1::/48"
        );
        assert_eq!(network("lambda.amazonaws.com", true).unwrap(), AWS_INTERNAL);
        assert_eq!(network("AWS Internal", false).unwrap(), AWS_INTERNAL);
        assert_eq!(network(" ", false), None);
        assert!(is_aws_internal("AWS Internal"));
        assert!(!is_aws_internal("10.0.0.1"));
    }

    #[test]
    fn user_agent_families_drop_versions() {
        let f = |ua: &str| ua_family(ua).unwrap();
        assert_eq!(
            f("aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64"),
            "aws-cli"
        );
        assert_eq!(f("Boto3/1.34.2 md/Botocore#1.34.2 ua/2.0"), "boto3");
        assert_eq!(
            f("Boto3/1.34.2 md/Botocore#1.34.2 exec-env/AWS_Lambda_python3.12"),
            LAMBDA_EXEC_ENV
        );
        assert_eq!(f("Mozilla/5.0 (X11; Linux x86_64)"), "browser");
        assert_eq!(f("[S3Console/0.4, aws-internal/3]"), "aws-console");
        assert_eq!(f("lambda.amazonaws.com"), "aws-service");
        assert_eq!(f("AWS Internal"), AWS_INTERNAL);
        assert_eq!(f("aws-sdk-go-v2/1.24.0 os/linux"), "aws-sdk-go-v2");
        assert_eq!(f("Terraform/1.5.7"), "terraform");
        assert_eq!(ua_family(""), None);
    }

    #[test]
    fn access_denied_codes() {
        for code in [
            "AccessDenied",
            "AccessDeniedException",
            "Client.UnauthorizedOperation",
        ] {
            assert!(is_access_denied(code), "{code}");
        }
        for code in [
            "ThrottlingException",
            "NoSuchEntity",
            "InvalidClientTokenId",
        ] {
            assert!(!is_access_denied(code), "{code}");
        }
    }
}
