//! Who is calling: a session cookie (people) or a bearer token (departments' systems). Pages
//! send the anonymous to the login page; the API answers 401. Permission checks deny by default
//! and audit every refusal.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use jianfu_domain::Error;
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::audit::AuditEntry;
use jianfu_store::auth::{self, Principal};

use crate::AppState;
use crate::error::{ApiError, PageError};

pub const SESSION_COOKIE: &str = "jianfu_session";

/// The caller's address as the socket saw it (tests and proxies may leave it unknown).
pub fn source_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// The value of our session cookie, if the request carries one.
pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<Principal>, Error> {
    let now = Utc::now();
    if let Some(token) = bearer(&parts.headers) {
        return auth::token(&state.db, token, &source_ip(parts), now).await;
    }
    match session_secret(&parts.headers) {
        Some(secret) => auth::session(&state.db, &secret, now).await,
        None => Ok(None),
    }
}

/// A logged-in caller. Extracting it refuses the anonymous.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub principal: Principal,
    pub source_ip: String,
}

/// Refusal of an anonymous caller: 401 JSON under `/api/`, the login page elsewhere.
pub struct LoginRequired {
    api: bool,
    next: String,
}

impl IntoResponse for LoginRequired {
    fn into_response(self) -> Response {
        if self.api {
            ApiError(Error::Unauthenticated).into_response()
        } else {
            Redirect::to(&format!("/login?next={}", crate::views::encode(&self.next)))
                .into_response()
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let api = parts.uri.path().starts_with("/api/");
        // A system calling with a token (an API route, or a PDF the API pointed it to) has no
        // password form to be led to.
        let browser = !api && bearer(&parts.headers).is_none();
        match resolve(parts, state).await {
            // Until a one-time or expired password is replaced, pages lead to the password form.
            Ok(Some(p))
                if p.must_change_password
                    && browser
                    && !["/account/password", "/logout"].contains(&parts.uri.path()) =>
            {
                Err(Redirect::to("/account/password").into_response())
            }
            // Then an administrator enrols the second factor.
            Ok(Some(p))
                if p.must_enroll_second_factor
                    && browser
                    && !["/account/totp", "/account/password", "/logout"]
                        .contains(&parts.uri.path()) =>
            {
                Err(Redirect::to("/account/totp").into_response())
            }
            Ok(Some(principal)) => Ok(CurrentUser {
                principal,
                source_ip: source_ip(parts),
            }),
            Ok(None) => Err(LoginRequired {
                api,
                next: parts.uri.to_string(),
            }
            .into_response()),
            Err(e) if api => Err(ApiError(e).into_response()),
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// Whoever is calling, logged in or not (public pages show the login state).
pub struct MaybeUser(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(MaybeUser(resolve(parts, state).await?))
    }
}

impl CurrentUser {
    /// Passes when one of the caller's roles grants `perm`; a refusal is audited.
    pub async fn require(&self, state: &AppState, perm: Perm, object: &str) -> Result<(), Error> {
        if self.principal.roles.iter().any(|r| r.has(perm)) {
            return Ok(());
        }
        let entry = AuditEntry {
            actor: self.principal.username.clone(),
            role: roles_text(&self.principal.roles),
            source_ip: self.source_ip.clone(),
            event: "authz.denied".into(),
            object: object.into(),
            result: "denied".into(),
            before: None,
            after: Some(format!("{{\"perm\":\"{perm:?}\"}}")),
        };
        jianfu_store::audit::append(&state.db, &entry)
            .await
            .map_err(|_| Error::Internal)?;
        Err(Error::Forbidden)
    }

    /// Passes when the caller holds `perm` and `unit` lies in the caller's region subtree; acting
    /// outside it is refused with 403 and audited like any other refusal.
    pub async fn require_within(
        &self,
        state: &AppState,
        perm: Perm,
        unit: &jianfu_domain::Region,
        object: &str,
    ) -> Result<(), Error> {
        let inside = self.principal.region.contains(&unit.code);
        self.require_scope(state, perm, unit, inside, object).await
    }

    /// Like `require_within`, but only `unit`'s own accounts pass: the business of one level
    /// (a district's refinement of the directories) is not its superiors' to conduct.
    pub async fn require_at(
        &self,
        state: &AppState,
        perm: Perm,
        unit: &jianfu_domain::Region,
        object: &str,
    ) -> Result<(), Error> {
        let own = self.principal.region == unit.code;
        self.require_scope(state, perm, unit, own, object).await
    }

    async fn require_scope(
        &self,
        state: &AppState,
        perm: Perm,
        unit: &jianfu_domain::Region,
        allowed: bool,
        object: &str,
    ) -> Result<(), Error> {
        self.require(state, perm, object).await?;
        if allowed {
            return Ok(());
        }
        let entry = AuditEntry {
            result: "denied".into(),
            after: Some(format!(
                "{{\"region\":\"{}\",\"scope\":\"{}\"}}",
                unit.code, self.principal.region
            )),
            ..self.audit_entry("authz.out_of_scope", object)
        };
        jianfu_store::audit::append(&state.db, &entry)
            .await
            .map_err(|_| Error::Internal)?;
        Err(Error::OutsideScope(unit.name.clone()))
    }

    /// An audit entry for something this user did to `object` (result `ok`; before/after
    /// left for the caller or the store to fill in).
    pub fn audit_entry(&self, event: &str, object: &str) -> AuditEntry {
        AuditEntry {
            actor: self.principal.username.clone(),
            role: roles_text(&self.principal.roles),
            source_ip: self.source_ip.clone(),
            event: event.into(),
            object: object.into(),
            result: "ok".into(),
            before: None,
            after: None,
        }
    }

    /// The anti-forgery token of a form must match the session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Error> {
        match &self.principal.csrf {
            Some(expected) if constant_time_eq(expected.as_bytes(), sent.as_bytes()) => Ok(()),
            _ => Err(Error::CsrfRejected),
        }
    }
}

pub fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses state-changing requests sent from another site (with the session cookie of a user
/// who happens to be logged in): the browser says so in `Sec-Fetch-Site`, or the `Origin` names
/// another host. Refusals are audited.
pub async fn refuse_cross_site(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method();
    if method.is_safe() {
        return next.run(request).await;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(|o| o.split_once("://").map_or(o, |(_, rest)| rest).to_owned());
    let foreign = fetch_site == Some("cross-site")
        || matches!((origin_host.as_deref(), host), (Some(o), Some(h)) if o != h);
    if !foreign {
        return next.run(request).await;
    }
    let (parts, _) = request.into_parts();
    let entry = AuditEntry {
        actor: String::new(),
        role: String::new(),
        source_ip: source_ip(&parts),
        event: "auth.cross_site".into(),
        object: parts.uri.path().to_owned(),
        result: "denied".into(),
        before: None,
        after: origin_host
            .as_deref()
            .map(|o| serde_json::json!({ "origin": o }).to_string()),
    };
    if let Err(e) = jianfu_store::audit::append(&state.db, &entry).await {
        tracing::error!(error = %e, "audit of a cross-site request failed");
    }
    if parts.uri.path().starts_with("/api/") {
        ApiError(Error::CsrfRejected).into_response()
    } else {
        PageError(Error::CsrfRejected).into_response()
    }
}
