//! What the generators produce before it is written: an AWS API call as CloudTrail
//! records it ([`ApiCall`], made by an [`Identity`]) and its rendering into a real
//! CloudTrail record (`eventVersion`, `userIdentity` with `sessionContext`,
//! `tlsDetails`, …).
//!
//! Calls are planned with their `eventID` already drawn, so that labels can name the
//! events of an attack before the files are written.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::rng::rfc3339_s;

/// Which access key an assumed-role call uses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeyRef {
    /// A key known when the call is planned.
    Fixed(String),
    /// The key of an execution environment of function `function` (its current one
    /// when first used), pinned under `pin` so later calls reuse the same key: stolen
    /// Lambda credentials.
    Env {
        /// Function index in the world.
        function: usize,
        /// Pin id (the attack's number).
        pin: u32,
    },
}

/// Who makes a call: `userIdentity`.
#[derive(Debug, Clone, PartialEq)]
// `WebIdentity` is CloudTrail's own name for the type (`WebIdentityUser`).
#[allow(clippy::enum_variant_names)]
pub(crate) enum Identity {
    /// An IAM user with a long-term key (or a console session when `console`).
    User {
        account: String,
        name: String,
        id: String,
        key: String,
        console: bool,
        mfa: bool,
    },
    /// An assumed-role session (SSO, CI, execution roles, service roles).
    Role {
        account: String,
        /// Role name.
        role: String,
        /// Role path, `/` or `/aws-reserved/sso.amazonaws.com/eu-west-1/`.
        path: String,
        /// `AROA…` id of the role.
        role_id: String,
        session: String,
        key: KeyRef,
        created_us: i64,
        mfa: bool,
        console: bool,
    },
    /// An AWS service acting on its own (`invokedBy`).
    Service { invoked_by: String },
    /// A web identity (GitHub OIDC) calling `AssumeRoleWithWebIdentity`.
    WebIdentity {
        account: String,
        provider: String,
        subject: String,
    },
}

impl Identity {
    /// The ARN findings name: user ARN, assumed-role session ARN, or the service.
    pub fn arn(&self) -> String {
        match self {
            Identity::User { account, name, .. } => format!("arn:aws:iam::{account}:user/{name}"),
            Identity::Role {
                account,
                role,
                session,
                ..
            } => format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
            Identity::Service { invoked_by } => invoked_by.clone(),
            Identity::WebIdentity { subject, .. } => subject.clone(),
        }
    }

    /// The role ARN behind an assumed-role session.
    pub fn role_arn(&self) -> Option<String> {
        match self {
            Identity::Role {
                account,
                role,
                path,
                ..
            } => Some(format!("arn:aws:iam::{account}:role{path}{role}")),
            _ => None,
        }
    }

    /// The key the identity signs with when fixed.
    pub fn fixed_key(&self) -> Option<&str> {
        match self {
            Identity::User { key, .. } => Some(key),
            Identity::Role {
                key: KeyRef::Fixed(k),
                ..
            } => Some(k),
            _ => None,
        }
    }

    /// The same role identity with another session name, key and creation time.
    pub fn with_session(&self, session: &str, key: KeyRef, created_us: i64) -> Identity {
        match self {
            Identity::Role {
                account,
                role,
                path,
                role_id,
                mfa,
                console,
                ..
            } => Identity::Role {
                account: account.clone(),
                role: role.clone(),
                path: path.clone(),
                role_id: role_id.clone(),
                session: session.to_string(),
                key,
                created_us,
                mfa: *mfa,
                console: *console,
            },
            other => other.clone(),
        }
    }

    fn console(&self) -> bool {
        matches!(
            self,
            Identity::User { console: true, .. } | Identity::Role { console: true, .. }
        )
    }

    /// `userIdentity` as CloudTrail writes it; `key` is the resolved access key.
    pub fn render(&self, key: Option<&str>) -> Value {
        match self {
            Identity::User {
                account,
                name,
                id,
                key: k,
                console,
                mfa,
            } => {
                let mut v = json!({
                    "type": "IAMUser", "principalId": id, "arn": self.arn(),
                    "accountId": account, "accessKeyId": key.unwrap_or(k), "userName": name,
                });
                if *console {
                    v["sessionContext"] = json!({"sessionIssuer": {}, "webIdFederationData": {},
                        "attributes": {"creationDate": "", "mfaAuthenticated": mfa.to_string()}});
                }
                v
            }
            Identity::Role {
                account,
                role,
                role_id,
                session,
                created_us,
                mfa,
                ..
            } => json!({
                "type": "AssumedRole",
                "principalId": format!("{role_id}:{session}"),
                "arn": self.arn(),
                "accountId": account,
                "accessKeyId": key.unwrap_or(""),
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role", "principalId": role_id, "arn": self.role_arn(),
                        "accountId": account, "userName": role,
                    },
                    "webIdFederationData": {},
                    "attributes": {"creationDate": rfc3339_s(*created_us), "mfaAuthenticated": mfa.to_string()},
                },
            }),
            Identity::Service { invoked_by } => {
                json!({"type": "AWSService", "invokedBy": invoked_by})
            }
            Identity::WebIdentity {
                account,
                provider,
                subject,
            } => json!({
                "type": "WebIdentityUser",
                "principalId": format!("arn:aws:iam::{account}:oidc-provider/{provider}:sts.amazonaws.com:{subject}"),
                "userName": subject,
                "identityProvider": format!("arn:aws:iam::{account}:oidc-provider/{provider}"),
            }),
        }
    }
}

/// One AWS API call as CloudTrail records it.
#[derive(Debug, Clone)]
pub(crate) struct ApiCall {
    /// µs since the epoch.
    pub time_us: i64,
    /// `recipientAccountId`.
    pub account: String,
    /// `awsRegion`.
    pub region: String,
    /// The caller.
    pub who: Arc<Identity>,
    /// `sourceIPAddress` (an IP, or a service name such as `lambda.amazonaws.com`).
    pub ip: String,
    /// `userAgent`.
    pub ua: String,
    /// Service prefix: `lambda` → `lambda.amazonaws.com`.
    pub service: &'static str,
    /// `eventName`.
    pub name: String,
    /// `requestParameters` (null when none).
    pub params: Value,
    /// `responseElements` (null when none).
    pub response: Value,
    /// `errorCode`, `errorMessage`.
    pub error: Option<(String, String)>,
    /// `readOnly`.
    pub read_only: bool,
    /// A data event (`eventCategory: Data`, `managementEvent: false`).
    pub data: bool,
    /// `resources`, for data events.
    pub resources: Option<Value>,
    /// `eventID`.
    pub event_id: String,
    /// `vpcEndpointId` when the call came through an interface endpoint.
    pub vpce: Option<String>,
}

impl ApiCall {
    /// A successful management call with no response elements.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        time_us: i64,
        who: &Arc<Identity>,
        account: &str,
        region: &str,
        ip: &str,
        ua: &str,
        service: &'static str,
        name: &str,
        params: Value,
        read_only: bool,
        event_id: String,
    ) -> ApiCall {
        ApiCall {
            time_us,
            account: account.to_string(),
            region: region.to_string(),
            who: who.clone(),
            ip: ip.to_string(),
            ua: ua.to_string(),
            service,
            name: name.to_string(),
            params,
            response: Value::Null,
            error: None,
            read_only,
            data: false,
            resources: None,
            event_id,
            vpce: None,
        }
    }

    /// With `responseElements`.
    pub fn respond(mut self, response: Value) -> Self {
        self.response = response;
        self
    }

    /// `eventSource`.
    pub fn event_source(&self) -> String {
        format!("{}.amazonaws.com", self.service)
    }

    /// Sets an error (AccessDenied and friends) and clears the response.
    pub fn fail(mut self, code: &str, message: String) -> Self {
        self.error = Some((code.to_string(), message));
        self.response = Value::Null;
        self
    }

    /// The standard AccessDenied message for this call.
    pub fn access_denied(self) -> Self {
        let action = format!("{}:{}", iam_prefix(self.service), strip_version(&self.name));
        let msg = format!(
            "User: {} is not authorized to perform: {action} because no identity-based policy allows the {action} action",
            self.who.arn()
        );
        let code = match self.service {
            "ec2" => "Client.UnauthorizedOperation",
            _ => "AccessDenied",
        };
        self.fail(code, msg)
    }

    /// The CloudTrail record, with the access key resolved to `key`.
    pub fn render(&self, key: Option<&str>, request_id: &str) -> Value {
        let mut m = Map::new();
        m.insert(
            "eventVersion".into(),
            json!(if self.data { "1.09" } else { "1.10" }),
        );
        m.insert("userIdentity".into(), self.who.render(key));
        m.insert("eventTime".into(), json!(rfc3339_s(self.time_us)));
        m.insert("eventSource".into(), json!(self.event_source()));
        m.insert("eventName".into(), json!(self.name));
        m.insert("awsRegion".into(), json!(self.region));
        m.insert("sourceIPAddress".into(), json!(self.ip));
        m.insert("userAgent".into(), json!(self.ua));
        if let Some((code, msg)) = &self.error {
            m.insert("errorCode".into(), json!(code));
            m.insert("errorMessage".into(), json!(msg));
        }
        m.insert("requestParameters".into(), self.params.clone());
        m.insert("responseElements".into(), self.response.clone());
        m.insert("requestID".into(), json!(request_id));
        m.insert("eventID".into(), json!(self.event_id));
        m.insert("readOnly".into(), json!(self.read_only));
        if let Some(r) = &self.resources {
            m.insert("resources".into(), r.clone());
        }
        m.insert(
            "eventType".into(),
            json!(if self.name == "ConsoleLogin" {
                "AwsConsoleSignIn"
            } else {
                "AwsApiCall"
            }),
        );
        m.insert("managementEvent".into(), json!(!self.data));
        m.insert("recipientAccountId".into(), json!(self.account));
        if let Some(v) = &self.vpce {
            m.insert("vpcEndpointId".into(), json!(v));
        }
        m.insert(
            "eventCategory".into(),
            json!(if self.data { "Data" } else { "Management" }),
        );
        let by_service = matches!(&*self.who, Identity::Service { .. });
        if !by_service && self.ua != "AWS Internal" {
            let host = match self.service {
                "iam" | "cloudfront" | "organizations" => format!("{}.amazonaws.com", self.service),
                s => format!("{s}.{}.amazonaws.com", self.region),
            };
            m.insert(
                "tlsDetails".into(),
                json!({"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": host}),
            );
        }
        if self.who.console() {
            m.insert("sessionCredentialFromConsole".into(), json!("true"));
        }
        Value::Object(m)
    }
}

/// The IAM action prefix of a service (`monitoring` → `cloudwatch`).
fn iam_prefix(service: &str) -> &str {
    match service {
        "monitoring" => "cloudwatch",
        "email" => "ses",
        s => s,
    }
}

/// `CreateFunction20150331` → `CreateFunction`.
pub(crate) fn strip_version(name: &str) -> &str {
    let cut = name
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .unwrap_or(name.len());
    &name[..cut]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_suffixes_are_stripped_for_iam_actions() {
        assert_eq!(
            strip_version("UpdateFunctionCode20150331v2"),
            "UpdateFunctionCode"
        );
        assert_eq!(strip_version("GetSecretValue"), "GetSecretValue");
    }

    #[test]
    fn assumed_role_identity_has_its_session_issuer() {
        let id = Identity::Role {
            account: "123456789012".into(),
            role: "orders-api-role".into(),
            path: "/service-role/".into(),
            role_id: "AROAEXAMPLE".into(),
            session: "orders-api".into(),
            key: KeyRef::Fixed("ASIAEXAMPLE".into()),
            created_us: 0,
            mfa: false,
            console: false,
        };
        let v = id.render(Some("ASIAEXAMPLE"));
        assert_eq!(
            v["arn"],
            "arn:aws:sts::123456789012:assumed-role/orders-api-role/orders-api"
        );
        assert_eq!(
            v["sessionContext"]["sessionIssuer"]["arn"],
            "arn:aws:iam::123456789012:role/service-role/orders-api-role"
        );
        assert_eq!(
            v["sessionContext"]["attributes"]["mfaAuthenticated"],
            "false"
        );
    }
}
