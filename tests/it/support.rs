//! `TestApp`: a fresh database on one backend, filled as on a first start, and the router on it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use jianfu_domain::RegionCode;
use jianfu_domain::account::Role;
use jianfu_store::account::{self, NewAccount};
use jianfu_store::{Backend, DatabaseConnection};
use sea_orm::ConnectionTrait;
use tower::ServiceExt;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A name no other test run on this machine uses at the same time.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The backends this run covers: SQLite always, the servers whose URLs are set.
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    if std::env::var("JIANFU_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        out.push(Backend::Postgres);
    }
    if std::env::var("JIANFU_TEST_MYSQL_URL").is_ok_and(|u| !u.is_empty()) {
        out.push(Backend::MySql);
    }
    out
}

/// A database made for one test, dropped by `finish`.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    admin_url: Option<String>,
    name: String,
    dir: Option<PathBuf>,
}

impl TestDb {
    pub async fn create(backend: Backend) -> TestDb {
        let name = unique("jianfu_it");
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                TestDb {
                    backend,
                    url: format!("sqlite://{}", dir.join("jianfu.db").display()),
                    admin_url: None,
                    name,
                    dir: Some(dir),
                }
            }
            Backend::Postgres | Backend::MySql => {
                let var = if backend == Backend::Postgres {
                    "JIANFU_TEST_POSTGRES_URL"
                } else {
                    "JIANFU_TEST_MYSQL_URL"
                };
                let admin_url = std::env::var(var).unwrap();
                let admin = jianfu_store::connect(&admin_url).await.unwrap();
                let create = if backend == Backend::MySql {
                    format!(
                        "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
                } else {
                    format!("CREATE DATABASE {name}")
                };
                admin.execute_unprepared(&create).await.unwrap();
                admin.close().await.unwrap();
                let base = admin_url.rsplit_once('/').unwrap().0;
                TestDb {
                    backend,
                    url: format!("{base}/{name}"),
                    admin_url: Some(admin_url),
                    name,
                    dir: None,
                }
            }
        }
    }

    pub async fn finish(self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(admin_url) = &self.admin_url {
            let admin = jianfu_store::connect(admin_url).await.unwrap();
            let drop = if self.backend == Backend::Postgres {
                format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)
            } else {
                format!("DROP DATABASE IF EXISTS {}", self.name)
            };
            admin.execute_unprepared(&drop).await.unwrap();
            admin.close().await.unwrap();
        }
    }
}

pub struct TestApp {
    pub db: DatabaseConnection,
    pub router: Router,
    pub test_db: TestDb,
    pub keys: std::sync::Arc<jianfu_seal::KeyRing>,
    /// The certificate desk (its verification log is flushed by hand in tests).
    pub certificates: std::sync::Arc<jianfu_web::certificate::Desk>,
    /// The directories held in process: a test that publishes through the store (not the
    /// app) tells it, as the app's own publishing does.
    pub catalog: std::sync::Arc<jianfu_web::search::CatalogCache>,
    /// Second-factor secrets of the administrators this app enrolled, by username.
    second_factors: std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestApp {
    /// A new database on `backend`, opened exactly as `jianfu serve` opens it.
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::with_mode(backend, false).await
    }

    /// As `new`, for a production deployment (`production = true`) or not.
    pub async fn with_mode(backend: Backend, production: bool) -> TestApp {
        let test_db = TestDb::create(backend).await;
        let db = jianfu::bootstrap::open(&test_db.url).await.unwrap();
        let keys = std::sync::Arc::new(
            jianfu_seal::KeyRing::load_or_create(&temp_dir().join("keys.json")).unwrap(),
        );
        let certificates = std::sync::Arc::new(jianfu_web::certificate::Desk::default());
        let catalog = std::sync::Arc::new(jianfu_web::search::CatalogCache::default());
        let router = jianfu_web::router(jianfu_web::AppState {
            db: db.clone(),
            keys: keys.clone(),
            production,
            catalog: catalog.clone(),
            certificates: certificates.clone(),
            regions: Default::default(),
        });
        TestApp {
            db,
            router,
            test_db,
            keys,
            certificates,
            catalog,
            second_factors: Default::default(),
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// A GET as htmx sends it when it swaps part of a page.
    pub async fn get_htmx(&self, uri: &str) -> Reply {
        self.request(
            Request::get(uri)
                .header("HX-Request", "true")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn request(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A GET with a logged-in session's cookie.
    pub async fn get_as(&self, uri: &str, session: &Session) -> Reply {
        self.request(
            Request::get(uri)
                .header("cookie", format!("jianfu_session={}", session.secret))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A form POST as a browser on the same site sends it, with a session's cookie if given.
    pub async fn post_form(&self, uri: &str, body: &str, session: Option<&Session>) -> Reply {
        let mut req = Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "jianfu.test")
            .header("origin", "http://jianfu.test");
        if let Some(s) = session {
            req = req.header("cookie", format!("jianfu_session={}", s.secret));
        }
        self.request(req.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    /// Logs in through the login form, with the current code of an enrolled second factor, and
    /// enrols one when the platform asks for it; `None` when refused.
    pub async fn login(&self, username: &str, password: &str) -> Option<Session> {
        let secret = self.second_factors.lock().unwrap().get(username).cloned();
        // One code per 30-second step: wait for the next step rather than replay one.
        let code = match &secret {
            Some(s) => {
                let now = chrono::Utc::now();
                let wait = 30 - (now.timestamp() % 30) + 1;
                let used = self.last_step(username).await;
                let step = now.timestamp() / 30;
                if used >= step {
                    tokio::time::sleep(std::time::Duration::from_secs(wait as u64)).await;
                }
                jianfu_store::second_factor::code(s, username, chrono::Utc::now()).unwrap()
            }
            None => String::new(),
        };
        let body = format!(
            "username={username}&password={}&code={code}",
            form_encode(password)
        );
        let r = self.post_form("/login", &body, None).await;
        if r.status != StatusCode::SEE_OTHER {
            return None;
        }
        let cookie = r.headers["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let secret = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("jianfu_session=")
            .to_owned();
        let mut session = Session {
            secret,
            csrf: String::new(),
            landed: r.headers["location"].to_str().unwrap().to_owned(),
        };
        let me = self.get_as(&session.landed, &session).await;
        let marker = r#"name="csrf" value=""#;
        let start =
            me.body.find(marker).unwrap_or_else(|| {
                panic!("{} has a form: {} {}", session.landed, me.status, me.body)
            }) + marker.len();
        session.csrf = me.body[start..start + 64].to_owned();
        if session.landed == "/account/totp" {
            self.enroll(username, &session, &me.body).await;
            session.landed = "/me".into();
        }
        Some(session)
    }

    /// Completes the second-factor page as an authenticator app would.
    pub async fn enroll(&self, username: &str, session: &Session, page: &str) {
        let field = |name: &str| {
            let marker = format!(r#"name="{name}" value=""#);
            let start = page.find(&marker).unwrap() + marker.len();
            page[start..].split('"').next().unwrap().to_owned()
        };
        let base32 = page
            .split(r#"id="totp-secret">"#)
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        let secret = totp_rs::Secret::try_from_base32(base32)
            .unwrap()
            .as_ref()
            .to_vec();
        let code =
            jianfu_store::second_factor::code(&secret, username, chrono::Utc::now()).unwrap();
        let body = format!(
            "csrf={}&sealed={}&code={code}",
            session.csrf,
            field("sealed")
        );
        let r = self.post_form("/account/totp", &body, Some(session)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "enrolment: {}", r.body);
        self.second_factors
            .lock()
            .unwrap()
            .insert(username.to_owned(), secret);
    }

    async fn last_step(&self, username: &str) -> i64 {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        jianfu_store::entity::account::Entity::find()
            .filter(jianfu_store::entity::account::Column::Username.eq(username))
            .one(&self.db)
            .await
            .unwrap()
            .map_or(0, |a| a.totp_last_step)
    }

    /// Opens an account directly in the store.
    pub async fn account(
        &self,
        username: &str,
        region: &str,
        roles: &[Role],
        department: Option<&str>,
    ) {
        let new = NewAccount {
            username: username.into(),
            display_name: username.into(),
            region: RegionCode::parse(region).unwrap(),
            department: department.map(Into::into),
            roles: roles.to_vec(),
            is_demo: false,
            must_change_password: false,
        };
        let audit = jianfu::bootstrap::system_entry("account.create", username, None);
        account::create(&self.db, &new, PASSWORD, &audit)
            .await
            .unwrap();
    }

    /// Opens an account with one role and gives it an API token valid for a day, as a
    /// department's or civil affairs' own system would hold.
    pub async fn token(
        &self,
        username: &str,
        region: &str,
        role: Role,
        department: Option<&str>,
    ) -> String {
        self.account(username, region, &[role], department).await;
        let audit = jianfu::bootstrap::system_entry("token.create", username, None);
        let expires = chrono::Utc::now() + chrono::Duration::days(1);
        jianfu_store::auth::create_token(&self.db, username, "测试系统", Some(expires), &audit)
            .await
            .unwrap()
            .unwrap()
    }

    /// Calls the API as a token's holder, with an optional JSON body.
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"));
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&b).unwrap())),
            None => req.body(Body::empty()),
        };
        self.request(req.unwrap()).await
    }

    /// Every audit record in sequence order, after chaining the pending ones (as the server's
    /// chainer would a moment after each commit).
    pub async fn audit_log(&self) -> Vec<jianfu_store::entity::audit_log::Model> {
        use jianfu_store::entity::audit_log;
        use sea_orm::{EntityTrait, QueryOrder};
        jianfu_store::audit::chain(&self.db).await.unwrap();
        audit_log::Entity::find()
            .order_by_asc(audit_log::Column::Seq)
            .all(&self.db)
            .await
            .unwrap()
    }

    pub async fn finish(self) {
        self.db.close().await.unwrap();
        self.test_db.finish().await;
    }
}

/// The password `TestApp::account` gives everyone.
pub const PASSWORD: &str = "Tianjin-2023";

/// A logged-in browser: its cookie secret, the anti-forgery token, and where login sent it.
pub struct Session {
    pub secret: String,
    pub csrf: String,
    pub landed: String,
}

pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A temporary folder for files a test writes.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("jianfu_files"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
