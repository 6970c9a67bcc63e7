//! Printable PDF documents of jianfu, typeset with typst.
//!
//! Everything needed is inside the crate: the templates (`templates/`), subsets of Noto CJK SC
//! (`fonts/`, see its README) and a small in-memory typst world. Nothing is downloaded and no
//! font installed on the machine is used, so the same input prints the same bytes anywhere.
//! Data reaches a template as JSON (`json("/data.json")`), never spliced into markup.

mod world;

#[cfg(test)]
mod pdf_tests;

use chrono::NaiveDate;
use jianfu_domain::catalog::{DirectoryItem, DirectoryVersion};
use serde::Serialize;
use typst::foundations::Smart;
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use crate::world::PrintWorld;

/// Why a document could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("打印数据无法编码：{0}")]
    Data(#[from] serde_json::Error),
    #[error("排版失败：{0}")]
    Typeset(String),
    #[error("生成 PDF 失败：{0}")]
    Export(String),
}

const DIRECTORY_TEMPLATE: &str = include_str!("../templates/directory.typ");

/// One published version of a guidance directory as an A4 landscape PDF: title, version and
/// effective day, a table of its items (header repeated on every page), the service guide or
/// refusal guidance under each item that has one, and a footer with the page count and the
/// day it was generated.
pub fn directory_pdf(
    version: &DirectoryVersion,
    generated_on: NaiveDate,
) -> Result<Vec<u8>, PrintError> {
    let data = DirectoryData::of(version, generated_on);
    let ident = format!(
        "jianfu-directory-{}-{}",
        version.kind.as_str(),
        version.number
    );
    render(
        "directory.typ",
        DIRECTORY_TEMPLATE,
        &data,
        generated_on,
        ident,
    )
}

/// Typesets `template` with `data` as `/data.json` and exports it. `ident` names the document
/// stably across renders (the PDF's document ID is derived from it).
fn render(
    name: &str,
    template: &str,
    data: &impl Serialize,
    today: NaiveDate,
    ident: String,
) -> Result<Vec<u8>, PrintError> {
    let world = PrintWorld::new(name, template, serde_json::to_vec(data)?, today);
    // Warnings (none are expected from our templates) do not stop printing.
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| PrintError::Typeset(world.describe(&errors)))?;
    let options = PdfOptions {
        ident: Smart::Custom(ident),
        ..PdfOptions::default()
    };
    let pdf =
        typst_pdf::pdf(&document, &options).map_err(|e| PrintError::Export(world.describe(&e)));
    // typst memoizes across calls; without eviction a long-running server's cache only grows.
    typst::comemo::evict(10);
    pdf
}

/// What `templates/directory.typ` reads.
#[derive(Serialize)]
struct DirectoryData {
    title: String,
    subtitle: String,
    footer: String,
    /// Said once above the table when some items are made up for demonstration.
    demo_note: Option<&'static str>,
    empty_note: &'static str,
    items: Vec<ItemRow>,
}

#[derive(Serialize)]
struct ItemRow {
    no: usize,
    code: String,
    name: String,
    category: String,
    basis: String,
    department: String,
    applicability: &'static str,
    /// (label, text) lines printed under the item: its service guide or refusal guidance.
    details: Vec<(&'static str, String)>,
}

impl DirectoryData {
    fn of(version: &DirectoryVersion, generated_on: NaiveDate) -> DirectoryData {
        let has_demo = version.items.iter().any(|i| i.is_demo);
        DirectoryData {
            title: format!("天津市村（社区）{}", version.kind.label()),
            subtitle: format!(
                "第 {} 版 · {} 起施行",
                version.number, version.effective_from
            ),
            footer: format!("减负平台生成于 {generated_on}，以公布版本为准"),
            demo_note: has_demo
                .then_some("注：标注“（演示）”的事项为演示数据，并非任何机关公布的内容。"),
            empty_note: "本版目录没有事项。",
            items: version
                .items
                .iter()
                .enumerate()
                .map(|(n, item)| ItemRow::of(n + 1, item))
                .collect(),
        }
    }
}

impl ItemRow {
    fn of(no: usize, item: &DirectoryItem) -> ItemRow {
        let name = if item.is_demo {
            format!("{}（演示）", item.name)
        } else {
            item.name.clone()
        };
        ItemRow {
            no,
            code: item.code.to_string(),
            name,
            category: item.category.clone(),
            basis: item.basis.clone(),
            department: item.department.clone(),
            applicability: item.applicability.label(),
            details: details(item),
        }
    }
}

/// The guide's filled-in fields (the certificate's template text is left to the web page,
/// it is a form rather than guidance) and the refusal guidance, in that order.
fn details(item: &DirectoryItem) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(guide) = &item.guide {
        let fields = [
            ("所需材料", guide.materials.clone()),
            ("办理条件", guide.conditions.clone()),
            ("办理流程", guide.steps.clone()),
            (
                "办理时限",
                guide
                    .time_limit_days
                    .map(|d| format!("{d} 个工作日"))
                    .unwrap_or_default(),
            ),
            ("要求开具单位", guide.demanding_agency.clone()),
        ];
        lines.extend(
            fields
                .into_iter()
                .filter(|(_, text)| !text.trim().is_empty()),
        );
    }
    if let Some(text) = item
        .refusal_guidance
        .as_ref()
        .filter(|t| !t.trim().is_empty())
    {
        lines.push(("不予出具时的指引", text.clone()));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use jianfu_domain::catalog::{Applicability, DirectoryKind, ItemCode, ServiceGuide};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn item(kind: DirectoryKind, n: u32) -> DirectoryItem {
        DirectoryItem {
            code: ItemCode::numbered(kind, n),
            name: "居民在社区居住证明".into(),
            category: "居住".into(),
            basis: "《关于进一步开展社区减负工作的意见》".into(),
            department: "天津市民政局".into(),
            village_role: String::new(),
            support: String::new(),
            applicability: Applicability::Community,
            valid_from: day("2024-01-01"),
            valid_to: None,
            guide: None,
            refusal_guidance: None,
            source: String::new(),
            is_demo: false,
        }
    }

    #[test]
    fn the_data_names_the_directory_version_and_day() {
        let kind = DirectoryKind::CertificateMayIssue;
        let mut demo = item(kind, 2);
        demo.is_demo = true;
        let v = DirectoryVersion {
            kind,
            number: 4,
            effective_from: day("2024-03-01"),
            items: vec![item(kind, 1), demo],
        };
        let data = DirectoryData::of(&v, day("2024-05-20"));
        assert_eq!(data.title, "天津市村（社区）可出具证明事项");
        assert_eq!(data.subtitle, "第 4 版 · 2024-03-01 起施行");
        assert_eq!(data.footer, "减负平台生成于 2024-05-20，以公布版本为准");
        assert!(data.demo_note.is_some());
        assert_eq!(data.items[0].no, 1);
        assert_eq!(data.items[0].name, "居民在社区居住证明");
        assert_eq!(data.items[1].name, "居民在社区居住证明（演示）");
        assert_eq!(data.items[1].code, "KC-002");
        assert_eq!(data.items[1].applicability, "社区");

        let real = DirectoryVersion {
            items: vec![item(kind, 1)],
            ..v
        };
        assert!(
            DirectoryData::of(&real, day("2024-05-20"))
                .demo_note
                .is_none()
        );
    }

    #[test]
    fn details_are_the_filled_guide_fields_then_the_refusal_guidance() {
        let mut i = item(DirectoryKind::CertificateMayIssue, 1);
        assert!(details(&i).is_empty());
        i.guide = Some(ServiceGuide {
            materials: "居民身份证".into(),
            conditions: "  ".into(),
            time_limit_days: Some(3),
            template: "兹证明……".into(),
            ..Default::default()
        });
        i.refusal_guidance = Some("到派出所办理".into());
        assert_eq!(
            details(&i),
            [
                ("所需材料", "居民身份证".to_owned()),
                ("办理时限", "3 个工作日".to_owned()),
                ("不予出具时的指引", "到派出所办理".to_owned()),
            ]
        );
    }

    #[test]
    fn the_same_version_and_day_print_the_same_bytes() {
        let kind = DirectoryKind::CertificateMustNotIssue;
        let mut refused = item(kind, 1);
        refused.refusal_guidance = Some("请到户籍所在地派出所办理".into());
        let v = DirectoryVersion {
            kind,
            number: 1,
            effective_from: day("2024-03-01"),
            items: vec![refused, item(kind, 2)],
        };
        let first = directory_pdf(&v, day("2024-05-20")).unwrap();
        // Forget typst's memoized results, so the second render is done afresh.
        typst::comemo::evict(0);
        let again = directory_pdf(&v, day("2024-05-20")).unwrap();
        assert!(first == again, "rendering is deterministic");
        let later = directory_pdf(&v, day("2024-05-21")).unwrap();
        assert!(first != later, "the generation day is printed");
    }
}
