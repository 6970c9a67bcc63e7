//! Server-rendered pages. A handler answers the partial an htmx request asks for and the whole
//! page otherwise, so every page also works without JavaScript and can be bookmarked.

mod home;
mod regions;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/regions", get(regions::index))
        .route("/regions/{code}", get(regions::show))
}

/// A breadcrumb: the last one has no link.
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

impl Crumb {
    pub fn link(label: impl Into<String>, href: impl Into<String>) -> Crumb {
        Crumb {
            label: label.into(),
            href: Some(href.into()),
        }
    }

    pub fn here(label: impl Into<String>) -> Crumb {
        Crumb {
            label: label.into(),
            href: None,
        }
    }
}

/// True for htmx requests that swap part of a page (not for boosted navigation).
fn wants_partial(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-boosted")
}

/// 5617 → "5,617": officials read large counts with separators.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(5617), "5,617");
        assert_eq!(super::thousands(620573), "620,573");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
