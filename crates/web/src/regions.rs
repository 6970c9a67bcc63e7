//! Units (regions) read recently, held for a few seconds: a dispatch and its check read every
//! target unit, and departments' systems check task after task against the same villages.
//! Units change only by an import of the administrative codes, so an answer up to [`KEEP_FOR`]
//! old serves as well as a fresh one. Who may act is never read from here: permissions come
//! from the caller's own account, read on every request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jianfu_domain::{Error, Region, RegionCode};
use jianfu_store::DatabaseConnection;

/// How long a unit read from the database serves.
const KEEP_FOR: Duration = Duration::from_secs(10);
/// Units held at most; past it the cache starts again empty (a whole-country sweep does not
/// grow the process without bound).
const MAX_UNITS: usize = 50_000;

#[derive(Default)]
pub struct RegionCache {
    units: Mutex<HashMap<RegionCode, (Instant, Region)>>,
}

impl RegionCache {
    /// The unit in force with `code`, or `RegionNotFound`, as `jianfu_store::region::require`
    /// answers it at most [`KEEP_FOR`] ago.
    pub async fn require(
        &self,
        db: &DatabaseConnection,
        code: &RegionCode,
    ) -> Result<Region, Error> {
        let now = Instant::now();
        if let Some((at, unit)) = self.lock().get(code)
            && now.duration_since(*at) < KEEP_FOR
        {
            return Ok(unit.clone());
        }
        let unit = jianfu_store::region::require(db, code).await?;
        let mut units = self.lock();
        if units.len() >= MAX_UNITS {
            units.clear();
        }
        units.insert(*code, (now, unit.clone()));
        Ok(unit)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RegionCode, (Instant, Region)>> {
        self.units.lock().unwrap_or_else(|e| e.into_inner())
    }
}
