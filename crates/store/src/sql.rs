//! SQL text built once per backend and reused with fresh values. Building a SeaORM query tree
//! costs more than the indexed point read it describes, so hot reads build their SQL once.

use std::sync::OnceLock;

use sea_orm::DbBackend;

pub(crate) struct CachedSql {
    per_backend: [OnceLock<String>; 3],
}

impl CachedSql {
    pub(crate) const fn new() -> Self {
        CachedSql {
            per_backend: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        }
    }

    /// The SQL for `backend`, built by `build` the first time it is asked for.
    pub(crate) fn get(&self, backend: DbBackend, build: impl FnOnce(DbBackend) -> String) -> &str {
        let slot = match backend {
            DbBackend::Sqlite => 0,
            DbBackend::Postgres => 1,
            _ => 2,
        };
        self.per_backend[slot].get_or_init(|| build(backend))
    }
}
