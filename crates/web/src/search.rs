//! The directories held in process: every published version of every directory, every
//! district's refinements of them, and the search index over the versions in force today.
//! Built on first use from the database, and built again when a version has been published
//! (through this node: at once; through another: within a second, as the count of versions
//! is read at most once a second) or the day changes (a version published earlier may take
//! effect at midnight). Lookups of what is in force for a unit on a day then need no further
//! database reads.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use jianfu_domain::Error;
use jianfu_domain::RegionCode;
use jianfu_domain::catalog::golden::{CaseOutcome, GoldenCase, outcome};
use jianfu_domain::catalog::{
    DirectoryItem, DirectoryKind, DirectoryVersion, DistrictRefinement, refinement_at, version_at,
};
use jianfu_store::DatabaseConnection;
use jianfu_store::catalog;
use jianfu_text::{DirectoryIndex, SearchDoc};

#[derive(Default)]
pub struct CatalogCache {
    snapshot: RwLock<Option<Arc<Snapshot>>>,
    /// The count of publications and when it was read: read again at most once per
    /// [`RECOUNT_EVERY`], so another node's publication is seen within it, this node's at once
    /// ([`CatalogCache::published_here`]).
    counted: Mutex<Option<(Instant, u64)>>,
}

/// How long a count of publications serves before it is read again.
const RECOUNT_EVERY: Duration = Duration::from_secs(1);

/// The directories as they were when the snapshot was taken.
pub struct Snapshot {
    day: NaiveDate,
    published: u64,
    versions: BTreeMap<DirectoryKind, Vec<DirectoryVersion>>,
    refinements: BTreeMap<DirectoryKind, Vec<DistrictRefinement>>,
    /// Where each district's refinements of a directory stand in `refinements`: a lookup for
    /// one unit is one hash probe instead of a binary search over ≈ 2,900 districts. A fast
    /// hasher rather than SipHash: the keys come from the published refinements, not from
    /// callers, so there is no flooding to resist.
    districts: HashMap<(DirectoryKind, RegionCode), Range<usize>, foldhash::fast::RandomState>,
    pub index: DirectoryIndex,
}

impl Snapshot {
    /// Every version of `kind`, oldest first.
    pub fn versions(&self, kind: DirectoryKind) -> &[DirectoryVersion] {
        self.versions.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// The version of `kind` in force on `day`.
    pub fn in_force(&self, kind: DirectoryKind, day: NaiveDate) -> Option<&DirectoryVersion> {
        version_at(self.versions(kind), day)
    }

    /// The items of `kind` that concern `unit` on `day`: the city version in force with the
    /// refinement of the unit's district, only those valid and applicable to its kind.
    pub fn effective_for(
        &self,
        kind: DirectoryKind,
        unit: &jianfu_domain::Region,
        day: NaiveDate,
    ) -> Vec<jianfu_domain::catalog::EffectiveItem<'_>> {
        let Some(base) = self.in_force(kind, day) else {
            return Vec::new();
        };
        let refinement = unit
            .code
            .county()
            .and_then(|d| self.refinement(kind, &d, day));
        jianfu_domain::catalog::effective(base, refinement, unit.kind, day)
    }

    /// Every district's refinements of `kind`, by district, oldest first.
    pub fn refinements(&self, kind: DirectoryKind) -> &[DistrictRefinement] {
        self.refinements.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// The refinement of `kind` by `district` in force on `day`. A lookup reads only that
    /// district's (a dispatch to the whole country looks one up for each of ≈ 620,000 units,
    /// among ≈ 2,900 districts).
    pub fn refinement(
        &self,
        kind: DirectoryKind,
        district: &RegionCode,
        day: NaiveDate,
    ) -> Option<&DistrictRefinement> {
        let range = self.districts.get(&(kind, *district))?;
        refinement_at(&self.refinements(kind)[range.clone()], district, day)
    }

    /// The refinement in force on `day` of every district that has one, by district.
    pub fn refinements_in_force(
        &self,
        kind: DirectoryKind,
        day: NaiveDate,
    ) -> Vec<&DistrictRefinement> {
        let mut districts: Vec<&RegionCode> =
            self.refinements(kind).iter().map(|r| &r.district).collect();
        districts.dedup();
        districts
            .into_iter()
            .filter_map(|d| self.refinement(kind, d, day))
            .collect()
    }

    /// The snapshot of `versions` (every version of each directory, oldest first) and
    /// `refinements` (every district's, oldest first within a district) for `day`, taken when
    /// `published` versions had been published, with the search index over the versions in
    /// force that day. Builds the index: call it off the async threads.
    pub fn build(
        day: NaiveDate,
        published: u64,
        versions: BTreeMap<DirectoryKind, Vec<DirectoryVersion>>,
        mut refinements: BTreeMap<DirectoryKind, Vec<DistrictRefinement>>,
    ) -> Result<Snapshot, jianfu_text::TextError> {
        let mut districts = HashMap::default();
        for (kind, all) in refinements.iter_mut() {
            // Stable: a district's refinements keep their order.
            all.sort_by_key(|r| r.district);
            for (start, r) in all.iter().enumerate() {
                districts
                    .entry((*kind, r.district))
                    .or_insert(start..start)
                    .end = start + 1;
            }
        }
        let docs: Vec<SearchDoc> = versions
            .iter()
            .filter_map(|(kind, all)| version_at(all, day).map(|v| (*kind, v)))
            .flat_map(|(kind, v)| v.items.iter().map(move |i| search_doc(kind, i)))
            .collect();
        Ok(Snapshot {
            day,
            published,
            versions,
            refinements,
            districts,
            index: DirectoryIndex::build(docs)?,
        })
    }
}

/// What the index holds of an item: its name first, the rest as body text.
pub fn search_doc(kind: DirectoryKind, item: &DirectoryItem) -> SearchDoc {
    let mut body = vec![item.village_role.clone(), item.support.clone()];
    if let Some(g) = &item.guide {
        body.extend([g.materials.clone(), g.conditions.clone(), g.steps.clone()]);
    }
    body.extend(item.refusal_guidance.clone());
    SearchDoc {
        kind,
        code: item.code,
        name: item.name.clone(),
        category: item.category.clone(),
        basis: item.basis.clone(),
        department: item.department.clone(),
        body: body.join("\n"),
    }
}

impl CatalogCache {
    /// The snapshot for `today`, taken again if a version was published since.
    pub async fn snapshot(
        &self,
        db: &DatabaseConnection,
        today: NaiveDate,
    ) -> Result<Arc<Snapshot>, Error> {
        let published = self.published(db).await?;
        if let Some(s) = self.snapshot.read().expect("not poisoned").clone()
            && s.day == today
            && s.published == published
        {
            return Ok(s);
        }
        let (mut versions, mut refinements) = (BTreeMap::new(), BTreeMap::new());
        for kind in DirectoryKind::ALL {
            versions.insert(kind, catalog::history(db, kind).await?);
            refinements.insert(kind, catalog::refinement_history(db, kind).await?);
        }
        let snapshot = tokio::task::spawn_blocking(move || {
            Snapshot::build(today, published, versions, refinements)
        })
        .await
        .map_err(|_| Error::Internal)?
        .map_err(|e| {
            tracing::error!(error = %e, "search index");
            Error::Internal
        })?;
        let snapshot = Arc::new(snapshot);
        *self.snapshot.write().expect("not poisoned") = Some(snapshot.clone());
        Ok(snapshot)
    }

    /// How many versions and refinements have been published, read at most once per
    /// [`RECOUNT_EVERY`].
    async fn published(&self, db: &DatabaseConnection) -> Result<u64, Error> {
        let now = Instant::now();
        if let Some((at, n)) = *self.counted.lock().expect("not poisoned")
            && now.duration_since(at) < RECOUNT_EVERY
        {
            return Ok(n);
        }
        let n = catalog::published_count(db).await?;
        *self.counted.lock().expect("not poisoned") = Some((now, n));
        Ok(n)
    }

    /// A version or refinement was published through this node: the next snapshot counts
    /// again instead of waiting for the count to expire.
    pub fn published_here(&self) {
        *self.counted.lock().expect("not poisoned") = None;
    }
}

/// The golden cases shipped with the directories (data/directories/golden_cases.tsv); the
/// docs crate's tests read the same file, so a bad row fails the build's tests, not a server.
pub static GOLDEN_CASES: std::sync::LazyLock<Vec<GoldenCase>> = std::sync::LazyLock::new(|| {
    jianfu_docs::directory::golden_cases(include_str!("../../../data/directories/golden_cases.tsv"))
        .expect("the shipped golden cases are valid")
});

/// One golden case matched against the version in force before a publication and the one it
/// would make.
pub struct CaseRun {
    pub case: &'static GoldenCase,
    pub before: CaseOutcome,
    pub after: CaseOutcome,
}

/// The golden cases of `kind` matched against `before` and `after` (the best-ranked item of
/// each version for the case's text).
pub async fn rerun_cases(
    kind: DirectoryKind,
    before: &[DirectoryItem],
    after: &[DirectoryItem],
) -> Result<Vec<CaseRun>, Error> {
    let cases: Vec<&'static GoldenCase> = GOLDEN_CASES.iter().filter(|c| c.kind == kind).collect();
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    let docs = |items: &[DirectoryItem]| -> Vec<SearchDoc> {
        items.iter().map(|i| search_doc(kind, i)).collect()
    };
    let (before, after) = (docs(before), docs(after));
    tokio::task::spawn_blocking(move || {
        let top = |index: &DirectoryIndex, case: &GoldenCase| {
            index
                .search(&case.task, Some(kind), 1)
                .into_iter()
                .next()
                .map(|h| h.code)
        };
        let (a, b) = (
            DirectoryIndex::build(before)?,
            DirectoryIndex::build(after)?,
        );
        Ok::<_, jianfu_text::TextError>(
            cases
                .into_iter()
                .map(|case| CaseRun {
                    before: outcome(case, top(&a, case)),
                    after: outcome(case, top(&b, case)),
                    case,
                })
                .collect(),
        )
    })
    .await
    .map_err(|_| Error::Internal)?
    .map_err(|e| {
        tracing::error!(error = %e, "golden cases");
        Error::Internal
    })
}
