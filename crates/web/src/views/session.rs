//! Logging in and out, the workbench every role lands on, and changing one's password.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::{Error, Region};
use jianfu_store::{account, auth, region, second_factor};
use serde::Deserialize;

use super::{Crumb, Nav};
use crate::AppState;
use crate::auth::{CurrentUser, MaybeUser, SESSION_COOKIE, roles_text, session_secret};
use crate::error::PageError;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    next: String,
    username: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only our own pages are followed after login (no open redirects).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/me".to_owned(),
    }
}

pub async fn login_form(MaybeUser(user): MaybeUser, Query(q): Query<Next>) -> Response {
    if user.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    LoginPage {
        nav: Nav::new(None),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("登录")],
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: None,
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    code: Option<String>,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let ip = crate::auth::source_ip(&parts);
    let username = form.username.trim().to_lowercase();
    let credentials = auth::Credentials {
        username: &username,
        password: &form.password,
        code: form.code.as_deref().filter(|c| !c.trim().is_empty()),
    };
    let cipher = state.keys.field_cipher();
    let outcome = auth::login(
        &state.db,
        &credentials,
        cipher,
        &ip,
        Utc::now(),
        !state.production,
    )
    .await?;
    let Some(login) = outcome else {
        let page = LoginPage {
            nav: Nav::new(None),
            crumbs: vec![Crumb::link("首页", "/"), Crumb::here("登录")],
            next: safe_next(form.next.as_deref()),
            username,
            error: Some("用户名、密码或动态口令不正确。连续输错 5 次，账号将锁定 15 分钟。"),
        };
        return Ok((axum::http::StatusCode::UNAUTHORIZED, page).into_response());
    };
    let target = if login.principal.must_change_password {
        "/account/password".to_owned()
    } else if login.principal.must_enroll_second_factor {
        "/account/totp".to_owned()
    } else {
        safe_next(form.next.as_deref())
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
        login.secret
    );
    let mut response = Redirect::to(&target).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| Error::Internal)?,
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
    everywhere: Option<String>,
}

pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf)?;
    if let Some(secret) = session_secret(&headers) {
        auth::logout(
            &state.db,
            &secret,
            form.everywhere.is_some(),
            &user.source_ip,
        )
        .await?;
    }
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("jianfu_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

#[derive(Template, WebTemplate)]
#[template(path = "me.html")]
pub struct Workbench {
    nav: Nav,
    crumbs: Vec<Crumb>,
    name: String,
    username: String,
    roles: Vec<&'static str>,
    chain: Vec<Region>,
    department: Option<String>,
    must_change_password: bool,
    csrf: String,
    /// 单位概况 of the user's own unit, for business roles.
    unit_link: Option<String>,
    unread: u64,
    /// Admissions waiting for the user, and those past their deadline at the user's level.
    admissions: Option<(u64, u64)>,
}

pub async fn workbench(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Workbench, PageError> {
    let p = &user.principal;
    let here = region::require(&state.db, &p.region).await?;
    let chain = region::ancestors(&state.db, &here).await?;
    let department = match &p.department {
        Some(code) => jianfu_store::department::list_for_region(&state.db, &here.code)
            .await?
            .into_iter()
            .find(|d| &d.code == code)
            .map(|d| d.full_name),
        None => None,
    };
    let admissions = match crate::admission::level_of(&user) {
        Some(level)
            if p.roles
                .iter()
                .any(|r| r.has(jianfu_domain::account::Perm::HandleAdmissions)) =>
        {
            use crate::admission::{ListView, filter_for};
            let one = jianfu_domain::PageRequest::new(None, Some(1));
            let mut counts = [0; 2];
            for (n, view) in [ListView::Pending, ListView::Overdue]
                .into_iter()
                .enumerate()
            {
                let filter = filter_for(&state, &user, level, view, "").await?;
                counts[n] = jianfu_store::admission::list(&state.db, &filter, one)
                    .await?
                    .total;
            }
            Some((counts[0], counts[1]))
        }
        _ => None,
    };
    Ok(Workbench {
        unread: jianfu_store::notification::unread(&state.db, &p.username).await?,
        admissions,
        nav: Nav::new(Some(p)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("工作台")],
        name: p.display_name.clone(),
        username: p.username.clone(),
        roles: p.roles.iter().map(|r| r.label()).collect(),
        chain,
        department,
        must_change_password: p.must_change_password,
        csrf: p.csrf.clone().unwrap_or_default(),
        unit_link: p
            .roles
            .iter()
            .any(|r| r.has(jianfu_domain::account::Perm::ViewUnits))
            .then(|| format!("/units/{}", p.region)),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
pub struct PasswordPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    must_change: bool,
    error: Option<String>,
    done: bool,
}

fn password_page(user: &CurrentUser, error: Option<String>, done: bool) -> PasswordPage {
    let p = &user.principal;
    PasswordPage {
        nav: Nav::new(Some(p)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("工作台", "/me"),
            Crumb::here("修改密码"),
        ],
        csrf: p.csrf.clone().unwrap_or_default(),
        must_change: p.must_change_password && !done,
        error,
        done,
    }
}

pub async fn password_form(user: CurrentUser) -> PasswordPage {
    password_page(&user, None, false)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new_password: String,
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf)?;
    if form.new_password != form.confirm {
        let page = password_page(&user, Some("两次输入的新密码不一致".into()), false);
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let p = &user.principal;
    let audit = AuditEntry {
        actor: p.username.clone(),
        role: roles_text(&p.roles),
        source_ip: user.source_ip.clone(),
        event: "account.password_change".into(),
        object: p.username.clone(),
        result: "ok".into(),
        before: None,
        after: None,
    };
    match account::change_password(
        &state.db,
        p.account_id,
        &form.current,
        &form.new_password,
        &audit,
    )
    .await
    {
        Ok(()) => Ok(password_page(&user, None, true).into_response()),
        Err(account::AccountError::Store(e)) => Err(e.into()),
        Err(e) => {
            let page = password_page(&user, Some(e.to_string()), false);
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "totp.html")]
pub struct TotpPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    enrolled: bool,
    base32: String,
    url: String,
    sealed: String,
    error: Option<&'static str>,
}

fn totp_page(
    state: &AppState,
    user: &CurrentUser,
    error: Option<&'static str>,
) -> Result<TotpPage, Error> {
    let p = &user.principal;
    let enrolled = !p.must_enroll_second_factor && p.roles.iter().any(|r| r.is_administrator());
    let (base32, url, sealed) = if enrolled {
        Default::default()
    } else {
        let secret = second_factor::new_secret();
        let (base32, url) = second_factor::enrollment(&secret, &p.username)?;
        // The new secret travels in the form, sealed: nothing is stored until a code proves it.
        let sealed = second_factor::seal(
            state.keys.field_cipher(),
            &secret,
            &enrol_scope(&p.username),
        );
        (base32, url, sealed)
    };
    Ok(TotpPage {
        nav: Nav::new(Some(p)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("工作台", "/me"),
            Crumb::here("动态口令"),
        ],
        csrf: p.csrf.clone().unwrap_or_default(),
        enrolled,
        base32,
        url,
        sealed,
        error,
    })
}

/// Seals the pending secret under another name than the stored one, so a form value can never
/// be replayed as a stored secret or the other way round.
fn enrol_scope(username: &str) -> String {
    format!("enrol:{username}")
}

pub async fn totp_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<TotpPage, PageError> {
    Ok(totp_page(&state, &user, None)?)
}

#[derive(Deserialize)]
pub struct TotpForm {
    csrf: String,
    sealed: String,
    code: String,
}

pub async fn enroll_totp(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<TotpForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf)?;
    let p = &user.principal;
    if !p.must_enroll_second_factor {
        return Ok(Redirect::to("/me").into_response());
    }
    let cipher = state.keys.field_cipher();
    let secret = second_factor::unseal(cipher, &form.sealed, &enrol_scope(&p.username));
    let step = secret
        .as_deref()
        .and_then(|s| second_factor::check(s, &p.username, &form.code, Utc::now()));
    let (Some(secret), Some(step)) = (secret, step) else {
        let page = totp_page(
            &state,
            &user,
            Some("动态口令不正确，请按新的密钥重新添加后再试"),
        )?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let audit = AuditEntry {
        actor: p.username.clone(),
        role: roles_text(&p.roles),
        source_ip: user.source_ip.clone(),
        event: "account.second_factor_enroll".into(),
        object: p.username.clone(),
        result: "ok".into(),
        before: None,
        after: None,
    };
    let stored = second_factor::seal(cipher, &secret, &p.username);
    second_factor::enroll(&state.db, p.account_id, stored, step, &audit).await?;
    Ok(Redirect::to("/me").into_response())
}
