//! Whole documents printed and looked into (bytes, fonts, pages); unit tests of the crate, so
//! the workspace keeps one integration-test binary.

#[path = "../examples/sample/mod.rs"]
mod sample;

use crate::directory_pdf;
use jianfu_domain::catalog::DirectoryKind;
use sample::{day, version};

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
