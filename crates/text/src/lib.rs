//! Chinese word segmentation and ranking for jianfu: the directory matcher and search.
//!
//! Empty on purpose: the dispatch issue fills it (jieba + tantivy, rebuilt from the database).
//! Kept as its own crate so the heavy search dependencies never slow the other crates' builds.
