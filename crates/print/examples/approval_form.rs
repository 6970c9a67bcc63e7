//! Prints a made-up approval form with 80 steps and how long rendering took:
//! `cargo run --release -p jianfu-print --example approval_form -- out.pdf [steps]`

#[path = "sample/form.rs"]
mod sample_form;

use std::time::Instant;

use chrono::NaiveDate;
// The sample builds these (`use super::…`).
use jianfu_print::{ApprovalForm, FormStep};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "approval_form.pdf".into());
    let steps = args.next().map(|s| s.parse()).transpose()?.unwrap_or(80);
    let form = sample_form::approval_form(steps);
    // The first render also parses the fonts; later ones show the steady cost. Each run has
    // another date, so typst cannot reuse the previous run's finished pages.
    for run in 1..=3 {
        let generated_on = NaiveDate::from_ymd_opt(2026, 12, run).expect("a valid date");
        let start = Instant::now();
        let pdf = jianfu_print::approval_form_pdf(&form, generated_on)?;
        println!("render {run}: {:?}, {} bytes", start.elapsed(), pdf.len());
        std::fs::write(&out, &pdf)?;
    }
    println!("wrote {out}");
    Ok(())
}
