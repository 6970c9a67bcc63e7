//! A user's in-app notifications (站内消息): what waits for them and what became of their
//! applications, newest first; read one or all.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::PageRequest;
use jianfu_store::notification;
use serde::Deserialize;

use super::{Crumb, Nav};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;

pub struct Row {
    pub id: i64,
    pub at: String,
    pub message: String,
    pub link: String,
    pub unread: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
pub struct ListPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    unread: u64,
    unread_only: bool,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
}

#[derive(Deserialize)]
pub struct Params {
    page: Option<u64>,
    #[serde(default)]
    unread: String,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<Params>,
) -> Result<ListPage, PageError> {
    let me = &user.principal.username;
    let unread_only = !params.unread.is_empty();
    let found = notification::of(
        &state.db,
        me,
        unread_only,
        PageRequest::new(params.page, None),
    )
    .await?;
    let pages = found.pages();
    Ok(ListPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("消息")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        unread: notification::unread(&state.db, me).await?,
        unread_only,
        rows: found
            .items
            .into_iter()
            .map(|n| Row {
                id: n.id,
                at: super::beijing(n.created_at),
                message: n.message,
                link: n.link,
                unread: n.read_at.is_none(),
            })
            .collect(),
        total: found.total,
        page: found.page,
        pages,
    })
}

/// Marks one notification read (`id`), or all of the caller's.
pub async fn read(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = super::posted(&user, &body)?;
    let id = super::field(&form, "id").parse().ok();
    notification::mark_read(&state.db, &user.principal.username, id).await?;
    Ok(Redirect::to("/notifications").into_response())
}
