//! Prints a made-up 20-item certificate directory and how long rendering took:
//! `cargo run --release -p jianfu-print --example directory -- out.pdf`

mod sample;

use std::time::Instant;

use jianfu_domain::catalog::DirectoryKind;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "directory.pdf".into());
    let version = sample::version(DirectoryKind::CertificateMayIssue, 20);
    // The first render also parses the fonts; later ones show the steady cost. Each run has
    // another date, so typst cannot reuse the previous run's finished pages.
    for run in 1..=3 {
        let generated_on = sample::day(&format!("2024-05-2{run}"));
        let start = Instant::now();
        let pdf = jianfu_print::directory_pdf(&version, generated_on)?;
        println!("render {run}: {:?}, {} bytes", start.elapsed(), pdf.len());
        std::fs::write(&out, &pdf)?;
    }
    println!("wrote {out}");
    Ok(())
}
