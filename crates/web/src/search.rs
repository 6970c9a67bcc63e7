//! The search index over the directories in force, built on first use from the database, and
//! built again when a version has been published (on any app node) or the day changes (a version
//! published earlier may take effect at midnight). A few hundred items take milliseconds;
//! jieba's dictionary loads once per process.

use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use jianfu_domain::Error;
use jianfu_domain::catalog::{DirectoryItem, DirectoryKind};
use jianfu_store::DatabaseConnection;
use jianfu_store::catalog;
use jianfu_text::{DirectoryIndex, SearchDoc};

#[derive(Default)]
pub struct CatalogSearch {
    /// The index with the day and the count of published versions it was built for.
    index: RwLock<Option<(NaiveDate, u64, Arc<DirectoryIndex>)>>,
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
        code: item.code.clone(),
        name: item.name.clone(),
        category: item.category.clone(),
        basis: item.basis.clone(),
        department: item.department.clone(),
        body: body.join("\n"),
    }
}

impl CatalogSearch {
    /// The index of the versions in force on `today`, built if there is none.
    pub async fn index(
        &self,
        db: &DatabaseConnection,
        today: NaiveDate,
    ) -> Result<Arc<DirectoryIndex>, Error> {
        let published = catalog::published_count(db).await?;
        if let Some((day, count, index)) = self.index.read().expect("not poisoned").clone()
            && day == today
            && count == published
        {
            return Ok(index);
        }
        let mut docs = Vec::new();
        for kind in DirectoryKind::ALL {
            if let Some(v) = catalog::version_at(db, kind, today).await? {
                docs.extend(v.items.iter().map(|i| search_doc(kind, i)));
            }
        }
        let built = tokio::task::spawn_blocking(move || DirectoryIndex::build(docs))
            .await
            .map_err(|_| Error::Internal)?
            .map_err(|e| {
                tracing::error!(error = %e, "search index");
                Error::Internal
            })?;
        let built = Arc::new(built);
        *self.index.write().expect("not poisoned") = Some((today, published, built.clone()));
        Ok(built)
    }
}
