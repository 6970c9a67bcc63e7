//! Whole documents printed and looked into (bytes, fonts, pages); unit tests of the crate, so
//! the workspace keeps one integration-test binary.

#[path = "../examples/sample/mod.rs"]
mod sample;

#[path = "../examples/sample/form.rs"]
mod sample_form;

use crate::world::PrintWorld;
use crate::{
    APPROVAL_FORM_TEMPLATE, ApprovalForm, CERTIFICATE_TEMPLATE, CertificateData,
    CertificateDocument, FormData, FormStep, NOTICE_TEMPLATE, NoticeData, NoticeDocument,
    approval_form_pdf, certificate_pdf, directory_pdf, notice_pdf, typeset,
};
use jianfu_domain::catalog::DirectoryKind;
use sample::{day, version};
use sample_form::approval_form;
use typst::layout::{Frame, FrameItem};

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Page objects, not the page tree (`/Type/Pages`).
fn pages(pdf: &[u8]) -> usize {
    let needle = b"/Type/Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && !w[needle.len()].is_ascii_alphanumeric())
        .count()
}

/// The text typst laid out on each page, in the order it was placed (a PDF's text is glyph
/// numbers in compressed streams; this is what they were made from).
fn page_texts(form: &ApprovalForm, generated_on: chrono::NaiveDate) -> Vec<String> {
    let data = serde_json::to_vec(&FormData::of(form, generated_on)).unwrap();
    texts_of(
        "approval_form.typ",
        APPROVAL_FORM_TEMPLATE,
        data,
        generated_on,
    )
}

fn texts_of(
    name: &str,
    template: &str,
    data: Vec<u8>,
    generated_on: chrono::NaiveDate,
) -> Vec<String> {
    fn collect(frame: &Frame, out: &mut String) {
        for (_, item) in frame.items() {
            match item {
                FrameItem::Group(group) => collect(&group.frame, out),
                FrameItem::Text(text) => out.push_str(&text.text),
                _ => {}
            }
        }
    }
    let world = PrintWorld::new(name, template, data, generated_on);
    typeset(&world)
        .unwrap()
        .pages()
        .iter()
        .map(|page| {
            let mut text = String::new();
            collect(&page.frame, &mut text);
            text
        })
        .collect()
}

#[test]
fn a_certificate_directory_prints_with_its_guides_across_pages() {
    let v = version(DirectoryKind::CertificateMayIssue, 12);
    let pdf = directory_pdf(&v, day("2024-05-20")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(
        pages(&pdf) > 2,
        "long basis and steps wrap onto more pages: {}",
        pages(&pdf)
    );
    // Both faces are embedded (CFF fonts go in FontFile3), not left to the reader's machine.
    assert!(contains(&pdf, "/FontFile3"));
    assert!(contains(&pdf, "NotoSerifCJKsc-Regular"));
    assert!(contains(&pdf, "NotoSansCJKsc-Bold"));
}

#[test]
fn a_version_without_items_still_prints() {
    let v = version(DirectoryKind::Duty, 0);
    let pdf = directory_pdf(&v, day("2024-05-20")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(pages(&pdf), 1);
}

#[test]
fn characters_missing_from_the_fonts_do_not_stop_printing() {
    let mut v = version(DirectoryKind::Assistance, 2);
    // An emoji, Hangul, a rare CJK Extension B character and markup-looking text.
    v.items[0].name = "协助工作😀 한국 𠀋 #set text(red) *粗* $x$ [链接](http://a) \\".into();
    v.items[1].basis = "}{ ) ] // /* 未闭合".into();
    let pdf = directory_pdf(&v, day("2024-05-20")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
}

#[test]
fn a_short_approval_form_prints_on_one_page() {
    let pdf = approval_form_pdf(&approval_form(5), day("2026-12-02")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(pages(&pdf), 1);
    assert!(contains(&pdf, "NotoSerifCJKsc-Regular"));
    assert!(contains(&pdf, "NotoSansCJKsc-Bold"));
}

#[test]
fn eighty_steps_run_onto_more_pages_with_the_header_on_each() {
    let form = approval_form(80);
    assert_eq!(form.steps.len(), 80);
    let pdf = approval_form_pdf(&form, day("2026-12-02")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let count = pages(&pdf);
    assert!(count > 1, "80 steps need more than one page: {count}");
    let texts = page_texts(&form, day("2026-12-02"));
    assert_eq!(texts.len(), count);
    for (n, text) in texts.iter().enumerate() {
        assert!(
            text.contains(&format!("第 {} 页 / 共 {count} 页", n + 1)),
            "{text}"
        );
        assert!(text.contains("生成日期 2026-12-02"));
        // Every page with steps on it (张志强 signs each 退回) starts with the table's header.
        if text.contains("张志强") {
            assert!(
                text.contains("环节办理单位签署人意见时间"),
                "page {}: {text}",
                n + 1
            );
        }
    }
    assert!(texts[1].contains("张志强"), "the steps go on on page 2");
    let last = texts.last().unwrap();
    assert!(last.contains("同意准入。"));
    assert!(
        last.contains("校验码：9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    );
}

#[test]
fn the_same_form_and_day_print_the_same_bytes() {
    let form = approval_form(8);
    let first = approval_form_pdf(&form, day("2026-12-02")).unwrap();
    // Forget typst's memoized results, so the second render is done afresh.
    typst::comemo::evict(0);
    let again = approval_form_pdf(&form, day("2026-12-02")).unwrap();
    assert!(first == again, "rendering is deterministic");
    let later = approval_form_pdf(&form, day("2026-12-03")).unwrap();
    assert!(first != later, "the generation day is printed");
}

#[test]
fn the_form_shows_its_title_code_fields_and_signers() {
    let texts = page_texts(&approval_form(5), day("2026-12-02"));
    let [text] = &texts[..] else {
        panic!("one page: {texts:?}")
    };
    for expected in [
        "村（社区）工作事务准入审批表",
        "ZR-120101-2026-001　申请编号 17",
        "审批层级：天津市和平区",
        "会签单位和平区卫生健康委员会、和平区财政局",
        "是否建议纳入指导目录否",
        "办理过程",
        "王海燕",
        "张志强",
        "2026-12-02 10:31",
        "状态有效",
        "第 1 页 / 共 1 页",
    ] {
        assert!(
            text.contains(expected),
            "{expected} is missing from: {text}"
        );
    }
}

#[test]
fn markup_and_long_unbroken_text_print_as_written() {
    let mut form = approval_form(5);
    form.title = "#set text(red) *粗* $x$ [链接](http://a) \\ }{ ) ] // /* 未闭合".into();
    form.basis = "https://example.invalid/".to_owned() + &"a".repeat(300);
    form.co_departments = vec![" ".into()];
    form.support = String::new();
    form.steps[0].step = "撤销".into();
    form.steps[1].signer = "x".repeat(120);
    form.status = "已撤销：区委区政府决定停止实施".into();
    let pdf = approval_form_pdf(&form, day("2026-12-02")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let text = page_texts(&form, day("2026-12-02")).concat();
    for expected in [
        "#set text(red) *粗* $x$ [链接](http://a) \\ }{ ) ] // /* 未闭合",
        "会签单位无",
        "经费和工作条件保障（费随事转）—",
        "状态已撤销：区委区政府决定停止实施",
    ] {
        assert!(
            text.contains(expected),
            "{expected} is missing from: {text}"
        );
    }
}

#[test]
fn a_form_without_steps_still_prints() {
    let mut form = approval_form(0);
    assert!(form.steps.is_empty());
    form.steps.push(FormStep {
        step: String::new(),
        body: String::new(),
        signer: String::new(),
        opinion: String::new(),
        at: String::new(),
    });
    let pdf = approval_form_pdf(&form, day("2026-12-02")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    form.steps.clear();
    let pdf = approval_form_pdf(&form, day("2026-12-02")).unwrap();
    assert_eq!(pages(&pdf), 1);
}

fn notice(paragraphs: usize) -> NoticeDocument {
    let mut body =
        String::from("一、基本情况\n通报期内，减负平台共记录违规派发 4 起。\n二、具体问题\n");
    for n in 0..paragraphs {
        body.push_str(&format!(
            "（{n}）某单位：违规派发 1 起，其中无派发依据 1 起，涉及“统计辖区居民信息”等任务。\n"
        ));
    }
    body.push_str("三、工作要求\n各单位要严格执行村（社区）工作事务指导目录和准入制度。\n");
    NoticeDocument {
        issuer: "天津市和平区民政局".into(),
        document_number: "和民减负通〔2026〕1号".into(),
        title: "关于2026年11月1日至2026年11月30日违规向村（社区）派发工作事务情况的通报".into(),
        addressee: "各街道办事处，区级各有关部门".into(),
        body,
        signed_on: Some(day("2026-12-02")),
    }
}

#[test]
fn a_notice_prints_every_part_of_an_official_document() {
    let n = notice(2);
    let pdf = notice_pdf(&n, day("2026-12-02")).unwrap();
    if let Ok(path) = std::env::var("JIANFU_NOTICE_SAMPLE") {
        std::fs::write(path, &pdf).unwrap();
    }
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(pages(&pdf), 1);
    let data = serde_json::to_vec(&NoticeData::of(&n, day("2026-12-02"))).unwrap();
    let text = texts_of("notice.typ", NOTICE_TEMPLATE, data, day("2026-12-02")).join("");
    for part in [
        "天津市和平区民政局文件",
        "和民减负通〔2026〕1号",
        "违规向村（社区）派发工作事务情况的通报",
        "各街道办事处，区级各有关部门：",
        "一、基本情况",
        "2026年12月2日",
        "（此件公开发布）",
        "2026年12月2日印发",
        "— 1 —",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
}

#[test]
fn a_long_notice_numbers_its_pages_and_a_draft_says_so() {
    let mut n = notice(60);
    n.document_number.clear();
    n.signed_on = None;
    let data = serde_json::to_vec(&NoticeData::of(&n, day("2026-12-02"))).unwrap();
    let pages = texts_of("notice.typ", NOTICE_TEMPLATE, data, day("2026-12-02"));
    assert!(pages.len() >= 3, "{} pages", pages.len());
    assert!(pages[0].contains("（草稿）"));
    assert!(pages[1].contains("— 2 —"));
    assert!(!pages.concat().contains("此件公开发布"));
    assert!(pages.last().unwrap().contains("印发"));
}

fn certificate(void: Option<&str>) -> CertificateDocument {
    CertificateDocument {
        cert_no: "120101001001-2026-000001".into(),
        title: "居民在社区居住证明".into(),
        body: "兹证明张三（公民身份号码：120101199001011239）现居住在本社区。\n因子女入学需要，应和平区某小学要求，特此证明。".into(),
        issuer: "花园路社区居委会".into(),
        issued_on: day("2026-12-02"),
        verify_url: "https://jianfu.example.gov.cn/verify/120101001001-2026-000001?t=0123456789abcdef".into(),
        qr_svg: r#"<svg xmlns="http://www.w3.org/2000/svg" width="21" height="21"><rect width="7" height="7"/></svg>"#.into(),
        void: void.map(str::to_owned),
    }
}

#[test]
fn a_certificate_prints_on_one_page_with_its_number_issuer_date_and_verification_address() {
    let c = certificate(None);
    let pdf = certificate_pdf(&c, day("2026-12-02")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(pages(&pdf), 1);
    let data = serde_json::to_vec(&CertificateData::of(&c)).unwrap();
    let text = texts_of(
        "certificate.typ",
        CERTIFICATE_TEMPLATE,
        data,
        day("2026-12-02"),
    )
    .join("");
    for part in [
        "编号：120101001001-2026-000001",
        "居民在社区居住证明",
        "兹证明张三（公民身份号码：120101199001011239）",
        "花园路社区居委会（盖章）",
        "2026年12月2日",
        "扫描二维码核验本证明的真伪和状态",
        "0123456789abcdef",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert!(!text.contains("已撤销"));
    // A revoked one says so across the page.
    let revoked = certificate(Some("已撤销"));
    let data = serde_json::to_vec(&CertificateData::of(&revoked)).unwrap();
    let text = texts_of(
        "certificate.typ",
        CERTIFICATE_TEMPLATE,
        data,
        day("2026-12-02"),
    )
    .join("");
    assert!(text.contains("已撤销"), "{text}");
}
