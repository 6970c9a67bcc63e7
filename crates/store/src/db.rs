//! Connecting by URL: the scheme chooses the backend, and anything else is refused rather than
//! silently creating a new file somewhere.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

use crate::migration::Migrator;

/// Connections in the SQLite pool (the same as the benchmark anchor's pool).
const SQLITE_CONNECTIONS: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend, ConnectError> {
        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::MySql),
            _ => Err(ConnectError::UnknownScheme(redact(url))),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MySQL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("不支持的数据库地址“{0}”：应以 sqlite://、postgres:// 或 mysql:// 开头")]
    UnknownScheme(String),
    #[error("无法创建数据目录 {path}：{reason}")]
    DataDir { path: String, reason: String },
    #[error("无法连接数据库 {url}：{reason}")]
    Unreachable { url: String, reason: String },
    #[error("数据库结构升级失败：{0}")]
    Migration(String),
}

/// Hides the password of a URL before it is shown or logged.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens a pool on the URL. SQLite files (and their folder) are created when missing, in WAL
/// mode with foreign keys on; server databases must exist and be reachable.
pub async fn connect(url: &str) -> Result<DatabaseConnection, ConnectError> {
    let backend = Backend::of(url)?;
    let mut url = url.to_owned();
    if backend == Backend::Sqlite {
        url = prepare_sqlite_url(&url)?;
    }
    let mut opts = ConnectOptions::new(url.clone());
    opts.connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if backend == Backend::Sqlite {
        // SeaORM gives SQLite a single connection unless told otherwise, which serialises every
        // read; in WAL mode readers run in parallel and writers wait on `busy_timeout`.
        opts.max_connections(SQLITE_CONNECTIONS);
        // A connection to a local file does not go stale; pinging it before every use would
        // double the round trips to SQLite's worker thread.
        opts.test_before_acquire(false);
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    }
    if backend == Backend::MySql {
        // READ COMMITTED, as PostgreSQL runs: under InnoDB's default REPEATABLE READ a delete by a
        // non-unique key locks the gaps beside it, and two drafts replacing their rows side by
        // side deadlock on each other's gap.
        opts.map_sqlx_mysql_pool_opts(|o| {
            o.after_connect(|conn, _| {
                Box::pin(async move {
                    use sea_orm::sqlx::Executor;
                    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                        .await
                        .map(drop)
                })
            })
        });
    }
    Database::connect(opts)
        .await
        .map_err(|e| ConnectError::Unreachable {
            url: redact(&url),
            reason: e.to_string(),
        })
}

/// Creates the folder of a file URL and adds `mode=rwc` so sqlx creates the file itself.
fn prepare_sqlite_url(url: &str) -> Result<String, ConnectError> {
    let rest = &url["sqlite://".len()..];
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let dir = std::path::Path::new(path)
        .parent()
        .filter(|d| path != ":memory:" && !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| ConnectError::DataDir {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
    }
    if query.contains("mode=") {
        return Ok(url.to_owned());
    }
    let sep = if query.is_empty() { "?" } else { "&" };
    Ok(format!("{url}{sep}mode=rwc"))
}

/// Brings the schema up to date; safe to run on every start.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), ConnectError> {
    Migrator::up(db, None)
        .await
        .map_err(|e| ConnectError::Migration(e.to_string()))
}

/// Answers whether the database responds, for health checks.
pub async fn ping(db: &DatabaseConnection) -> Result<(), jianfu_domain::Error> {
    db.ping().await.map_err(crate::db_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_choose_backends() {
        assert_eq!(Backend::of("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("postgres://u@h/d").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of("mysql://root@h/d").unwrap(), Backend::MySql);
        let e = Backend::of("oracle://u:secret@h/d")
            .unwrap_err()
            .to_string();
        assert!(e.contains("不支持") && !e.contains("secret"), "{e}");
        assert!(Backend::of("jianfu.db").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:pw@h:5432/d"),
            "postgres://u:***@h:5432/d"
        );
        assert_eq!(redact("postgres://u@h/d"), "postgres://u@h/d");
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }
}
