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

/// One step of the procedure as the form prints it.
#[derive(Debug, Clone, Serialize)]
pub struct FormStep {
    /// 申请 / 会签 / 初审 / 审批 / 退回 / 重新提交 / 撤销 …
    pub step: String,
    /// The body that acted, e.g. "和平区民政局" or "和平区委区政府".
    pub body: String,
    /// Who signed it (the official's display name).
    pub signer: String,
    /// The opinion or reason written with it (may be empty).
    pub opinion: String,
    /// Beijing time, "2026-12-02 10:31".
    pub at: String,
}

/// The approval form of an admitted task (准入事项审批表).
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalForm {
    /// The admitted task's code, e.g. "ZR-120101-2026-001".
    pub task_code: String,
    /// Application number, e.g. 17.
    pub application_id: i64,
    /// The level that approved it, e.g. "天津市和平区" or "天津市".
    pub level: String,
    pub title: String,
    pub department: String,
    /// Names of countersigning departments (may be empty).
    pub co_departments: Vec<String>,
    pub content: String,
    pub basis: String,
    /// Described scope, e.g. "和平区全部社区；劝业场街道花园路社区".
    pub scope: String,
    /// "2027-01-15 至 2027-03-15".
    pub period: String,
    /// "每个村（社区）约 2 小时".
    pub workload: String,
    /// Funding and working conditions provided (费随事转).
    pub support: String,
    /// Whether the applicant proposed it become a permanent directory item.
    pub permanent: bool,
    pub steps: Vec<FormStep>,
    /// "有效" or "已撤销：<reason>".
    pub status: String,
    /// A fingerprint of the stored record (hex), printed as 校验码 so a paper copy can be checked against the system.
    pub digest: String,
}

const APPROVAL_FORM_TEMPLATE: &str = include_str!("../templates/approval_form.typ");

/// The approval form as an A4 portrait PDF: title, task code and application number, the
/// approved fields in a bordered two-column table, the procedure (办理过程) as a table whose
/// header is repeated on every page, the status, the 校验码 and a footer with the page count
/// and the day it was generated.
pub fn approval_form_pdf(
    form: &ApprovalForm,
    generated_on: NaiveDate,
) -> Result<Vec<u8>, PrintError> {
    let data = FormData::of(form, generated_on);
    let ident = format!(
        "jianfu-approval-form-{}-{}",
        form.task_code, form.application_id
    );
    render(
        "approval_form.typ",
        APPROVAL_FORM_TEMPLATE,
        &data,
        generated_on,
        ident,
    )
}

/// A notice (通报) as it is printed: every part of an official document it has.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeDocument {
    /// The issuing authority, e.g. "天津市民政局".
    pub issuer: String,
    /// "津民减负通〔2026〕3号"; empty for a draft, which prints "（草稿）" instead.
    pub document_number: String,
    pub title: String,
    /// 主送机关, e.g. "各区民政局，市级各有关部门".
    pub addressee: String,
    /// The body as written, one paragraph per line.
    pub body: String,
    /// The day it was signed (成文日期); none for a draft.
    pub signed_on: Option<NaiveDate>,
}

const NOTICE_TEMPLATE: &str = include_str!("../templates/notice.typ");

/// The notice as an A4 PDF in the layout of GB/T 9704—2012 (see `templates/notice.typ`).
pub fn notice_pdf(notice: &NoticeDocument, generated_on: NaiveDate) -> Result<Vec<u8>, PrintError> {
    let data = NoticeData::of(notice, generated_on);
    let ident = format!("jianfu-notice-{}", notice.document_number);
    render("notice.typ", NOTICE_TEMPLATE, &data, generated_on, ident)
}

/// A certificate (证明) as it is printed.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateDocument {
    pub cert_no: String,
    /// The type's name, e.g. "居民在社区居住证明".
    pub title: String,
    /// The text from the type's template, one paragraph per line.
    pub body: String,
    /// The issuing village or community.
    pub issuer: String,
    pub issued_on: NaiveDate,
    /// What the QR code opens.
    pub verify_url: String,
    /// The QR code of `verify_url` as SVG.
    pub qr_svg: String,
    /// "已撤销" or "已作废" across the page of a certificate no longer valid.
    pub void: Option<String>,
}

const CERTIFICATE_TEMPLATE: &str = include_str!("../templates/certificate.typ");

/// The certificate as an A4 portrait PDF (see `templates/certificate.typ`).
pub fn certificate_pdf(
    c: &CertificateDocument,
    generated_on: NaiveDate,
) -> Result<Vec<u8>, PrintError> {
    let data = CertificateData::of(c);
    let ident = format!("jianfu-certificate-{}", c.cert_no);
    render(
        "certificate.typ",
        CERTIFICATE_TEMPLATE,
        &data,
        generated_on,
        ident,
    )
}

/// What `templates/certificate.typ` reads.
#[derive(Serialize)]
struct CertificateData {
    doc_title: String,
    cert_no: String,
    title: String,
    paragraphs: Vec<String>,
    issuer: String,
    date: String,
    qr_svg: String,
    verify_url: String,
    note: String,
    void: Option<String>,
}

impl CertificateData {
    fn of(c: &CertificateDocument) -> CertificateData {
        CertificateData {
            doc_title: format!("{} {}", c.title.trim(), c.cert_no),
            cert_no: c.cert_no.clone(),
            title: filled(&c.title),
            paragraphs: c
                .body
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| breakable(l, LINE_RUN))
                .collect(),
            issuer: filled(&c.issuer),
            date: jianfu_domain::certificate::chinese_date(c.issued_on),
            qr_svg: c.qr_svg.clone(),
            verify_url: breakable(&c.verify_url, LINE_RUN),
            note: "本证明的内容经开具单位电子签名（SM2），涂改无效".to_owned(),
            void: c.void.clone(),
        }
    }
}

/// What `templates/notice.typ` reads.
#[derive(Serialize)]
struct NoticeData {
    doc_title: String,
    /// 发文机关标志: the issuer and 文件.
    mark: String,
    number: String,
    title: String,
    addressee: String,
    /// ("heading" | "text", paragraph).
    paragraphs: Vec<(&'static str, String)>,
    signature: String,
    date: String,
    note: Option<&'static str>,
    printer: String,
    printed_on: String,
}

impl NoticeData {
    fn of(n: &NoticeDocument, generated_on: NaiveDate) -> NoticeData {
        let issuer = filled(&n.issuer);
        let number = match n.document_number.trim() {
            "" => "（草稿）".to_owned(),
            d => d.to_owned(),
        };
        let mut addressee = filled(&n.addressee);
        if !addressee.ends_with('：') && !addressee.ends_with(':') {
            addressee.push('：');
        }
        let day = n.signed_on.unwrap_or(generated_on);
        let date = jianfu_domain::notice::written_date(day);
        NoticeData {
            doc_title: format!("{} {}", number, n.title.trim()),
            mark: format!("{issuer}文件"),
            number,
            title: filled(&n.title),
            addressee,
            paragraphs: n
                .body
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| {
                    (
                        if is_heading(l) { "heading" } else { "text" },
                        breakable(l, LINE_RUN),
                    )
                })
                .collect(),
            signature: issuer.clone(),
            date: date.clone(),
            note: n.signed_on.is_some().then_some("（此件公开发布）"),
            printer: issuer,
            printed_on: format!("{date}印发"),
        }
    }
}

/// "一、基本情况": a first-level heading (一、 to 十、), printed in 黑体.
fn is_heading(line: &str) -> bool {
    let mut chars = line.chars();
    let numeral = |c: char| "一二三四五六七八九十".contains(c);
    match (chars.next(), chars.next(), chars.next()) {
        (Some(a), Some('、'), _) => numeral(a),
        (Some(a), Some(b), Some('、')) => numeral(a) && numeral(b),
        _ => false,
    }
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
    let pdf = typeset(&world).and_then(|document| {
        let options = PdfOptions {
            ident: Smart::Custom(ident),
            ..PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|e| PrintError::Export(world.describe(&e)))
    });
    // typst memoizes across calls; without eviction a long-running server's cache only grows.
    typst::comemo::evict(10);
    pdf
}

/// The pages of `world`'s document, before they are written as PDF (the tests read the text
/// laid out on them).
fn typeset(world: &PrintWorld) -> Result<PagedDocument, PrintError> {
    // Warnings (none are expected from our templates) do not stop printing.
    typst::compile(world)
        .output
        .map_err(|errors| PrintError::Typeset(world.describe(&errors)))
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

/// What `templates/approval_form.typ` reads. Every text is filled in ("—" for an empty one)
/// and can break where a line must, so the template only lays it out.
#[derive(Serialize)]
struct FormData {
    title: &'static str,
    /// The PDF's title: the form's and the task code.
    doc_title: String,
    /// Under the title: the task code and the application number.
    subtitle: String,
    /// Above the table, left: the level that approved it.
    level: String,
    /// (label, text) rows of the two-column table; a long label says where its line breaks.
    fields: Vec<(&'static str, String)>,
    steps_heading: &'static str,
    step_columns: [&'static str; 5],
    /// 环节, 办理单位, 签署人, 意见, 时间 of each step.
    steps: Vec<[String; 5]>,
    /// The one row of a procedure without steps.
    no_steps: &'static str,
    status: (&'static str, String),
    digest: String,
    footer: String,
}

/// What an empty text prints as.
const NOTHING: &str = "—";

/// Longest stretch of characters printed without a place to break (see `breakable`), about
/// as many as the narrowest line each is printed in holds of the widest Latin letters: the
/// values of the two-column table (some 34 em wide)…
const FIELD_RUN: usize = 24;
/// …the columns 环节 (4 em), 办理单位 (11 em), 签署人 (4 em; an account name of 8 letters
/// stays whole), 意见 (20 em) and 时间 (5.6 em, whose "2026-12-02" stays whole)…
const STEP_RUNS: [usize; 5] = [4, 10, 8, 20, 10];
/// …and the full-width lines under the title and at the end (a SHA-256 in hex stays whole).
const LINE_RUN: usize = 64;

impl FormData {
    fn of(form: &ApprovalForm, generated_on: NaiveDate) -> FormData {
        let cell = |s: &str| breakable(&filled(s), FIELD_RUN);
        let co_departments: Vec<&str> = form
            .co_departments
            .iter()
            .map(|d| d.trim())
            .filter(|d| !d.is_empty())
            .collect();
        let co_departments = if co_departments.is_empty() {
            "无".to_owned()
        } else {
            co_departments.join("、")
        };
        FormData {
            title: "村（社区）工作事务准入审批表",
            doc_title: format!("村（社区）工作事务准入审批表 {}", form.task_code.trim()),
            subtitle: breakable(
                &format!(
                    "{}　申请编号 {}",
                    filled(&form.task_code),
                    form.application_id
                ),
                LINE_RUN,
            ),
            level: breakable(&format!("审批层级：{}", filled(&form.level)), LINE_RUN),
            fields: vec![
                ("事项名称", cell(&form.title)),
                ("申请单位", cell(&form.department)),
                ("会签单位", cell(&co_departments)),
                ("任务内容", cell(&form.content)),
                ("政策依据", cell(&form.basis)),
                ("实施范围", cell(&form.scope)),
                ("实施期限", cell(&form.period)),
                ("预计工作量", cell(&form.workload)),
                ("经费和工作条件保障\n（费随事转）", cell(&form.support)),
                (
                    "是否建议纳入\n指导目录",
                    if form.permanent { "是" } else { "否" }.to_owned(),
                ),
            ],
            steps_heading: "办理过程",
            step_columns: ["环节", "办理单位", "签署人", "意见", "时间"],
            steps: form
                .steps
                .iter()
                .map(|s| {
                    let texts = [&s.step, &s.body, &s.signer, &s.opinion, &s.at];
                    std::array::from_fn(|i| breakable(&filled(texts[i]), STEP_RUNS[i]))
                })
                .collect(),
            no_steps: NOTHING,
            status: ("状态", cell(&form.status)),
            digest: breakable(&format!("校验码：{}", filled(&form.digest)), LINE_RUN),
            footer: format!("生成日期 {generated_on}"),
        }
    }
}

/// `text` without surrounding blanks, or "—" when nothing is left.
fn filled(text: &str) -> String {
    match text.trim() {
        "" => NOTHING.to_owned(),
        t => t.to_owned(),
    }
}

/// `text` with a zero-width space after every `run` characters of a stretch that has no
/// place to break (an address, a number, a long Latin word), so that typst, which never breaks
/// inside a word on its own, wraps it rather than letting it run out of its cell. Chinese text
/// breaks between any two characters already and is left alone.
fn breakable(text: &str, run: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut unbroken = 0;
    for c in text.chars() {
        // Below U+2E80 (CJK radicals) are the scripts that break only at spaces and hyphens.
        if c.is_whitespace() || c as u32 >= 0x2E80 {
            unbroken = 0;
        } else {
            if unbroken == run {
                out.push('\u{200B}');
                unbroken = 0;
            }
            unbroken += 1;
        }
        out.push(c);
    }
    out
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

    fn form() -> ApprovalForm {
        ApprovalForm {
            task_code: "ZR-120000-2026-003".into(),
            application_id: 9,
            level: "天津市".into(),
            title: " 社区消防安全检查 ".into(),
            department: "天津市消防救援总队".into(),
            co_departments: vec![],
            content: "检查楼道堆物".into(),
            basis: "".into(),
            scope: "全市社区".into(),
            period: "2027-01-15 至 2027-03-15".into(),
            workload: "  ".into(),
            support: "提供检查表".into(),
            permanent: true,
            steps: vec![FormStep {
                step: "申请".into(),
                body: "天津市消防救援总队".into(),
                signer: "刘洋".into(),
                opinion: String::new(),
                at: "2026-12-01 08:00".into(),
            }],
            status: "有效".into(),
            digest: "".into(),
        }
    }

    #[test]
    fn the_form_data_fills_every_blank() {
        let data = FormData::of(&form(), day("2026-12-02"));
        assert_eq!(data.title, "村（社区）工作事务准入审批表");
        assert_eq!(
            data.doc_title,
            "村（社区）工作事务准入审批表 ZR-120000-2026-003"
        );
        assert_eq!(data.subtitle, "ZR-120000-2026-003　申请编号 9");
        assert_eq!(data.level, "审批层级：天津市");
        let field = |label: &str| {
            data.fields
                .iter()
                .find(|(l, _)| *l == label)
                .map(|(_, text)| text.as_str())
                .unwrap()
        };
        assert_eq!(field("事项名称"), "社区消防安全检查");
        assert_eq!(field("会签单位"), "无");
        assert_eq!(field("政策依据"), "—");
        assert_eq!(field("预计工作量"), "—");
        assert_eq!(field("是否建议纳入\n指导目录"), "是");
        assert_eq!(data.fields.len(), 10);
        assert_eq!(
            data.steps,
            [[
                "申请".to_owned(),
                "天津市消防救援总队".to_owned(),
                "刘洋".to_owned(),
                "—".to_owned(),
                "2026-12-01 08:00".to_owned(),
            ]]
        );
        assert_eq!(data.status, ("状态", "有效".to_owned()));
        assert_eq!(data.digest, "校验码：—");
        assert_eq!(data.footer, "生成日期 2026-12-02");

        let mut f = form();
        f.co_departments = vec!["市卫生健康委".into(), " ".into(), "市财政局".into()];
        f.permanent = false;
        let data = FormData::of(&f, day("2026-12-02"));
        assert_eq!(
            data.fields[2],
            ("会签单位", "市卫生健康委、市财政局".to_owned())
        );
        assert_eq!(data.fields[9], ("是否建议纳入\n指导目录", "否".to_owned()));
    }

    #[test]
    fn long_unbroken_runs_get_places_to_break() {
        let zws = '\u{200B}';
        assert_eq!(breakable("中文从不需要", 2), "中文从不需要");
        assert_eq!(breakable("ab cd", 2), "ab cd");
        assert_eq!(breakable("abcde", 2), format!("ab{zws}cd{zws}e"));
        assert_eq!(breakable("abc中abc", 2), format!("ab{zws}c中ab{zws}c"));
        let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(breakable(digest, LINE_RUN), digest);
        assert_eq!(
            breakable(&"a".repeat(50), FIELD_RUN).matches(zws).count(),
            2
        );
    }
}
