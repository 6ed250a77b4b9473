//! `lscbctl report`: writes the annual report of a year — assembled now from live data, or a
//! published version exactly as published — as HTML, Markdown, JSON or PDF (the HTML printed
//! with headless Chromium).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use lscb_proto::report::v1 as pb;
use lscb_proto::report::v1::report_service_client::ReportServiceClient;

use crate::client::ClientArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Html,
    Markdown,
    Json,
    /// The HTML printed to PDF with headless Chromium (package `chromium`).
    Pdf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Edition {
    /// The full annual report.
    Full,
    /// A short summary in plain English for children, young people and families (at most 8
    /// printed pages), from the same data with the same figures.
    YoungPeople,
}

/// A financial year as the report takes it: "2015-16" (the second year follows the first).
pub(crate) fn parse_financial_year(s: &str) -> Result<String, String> {
    let t = s.trim();
    let bad = || {
        format!(
            "'{s}' is not a financial year: write it as YYYY-YY, e.g. 2015-16 (April 2015 to March 2016)"
        )
    };
    let (a, b) = t.split_once('-').ok_or_else(bad)?;
    if a.len() != 4 || b.len() != 2 || !a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let first: u32 = a.parse().map_err(|_| bad())?;
    let second: u32 = b.parse().map_err(|_| bad())?;
    if (first + 1) % 100 != second {
        return Err(format!(
            "{} (the year starting in {first} is {first}-{:02})",
            bad(),
            (first + 1) % 100
        ));
    }
    Ok(t.to_string())
}

/// Arguments of `lscbctl report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Financial year, written YYYY-YY, e.g. 2015-16 (April 2015 to March 2016).
    #[arg(long, value_parser = parse_financial_year)]
    year: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "html")]
    format: Format,
    /// Which edition: the full report or the young people's summary.
    #[arg(long, value_enum, default_value = "full")]
    edition: Edition,
    /// File to write.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// Write a published version (a number, or `latest`) instead of assembling from live data.
    #[arg(long, value_name = "VERSION")]
    published: Option<String>,
    /// Fail (exit status 2) when the report is incomplete: a data service did not answer or
    /// holds no data for the year.
    #[arg(long)]
    require_complete: bool,
    /// Deadline for the whole call, in seconds (sent as grpc-timeout).
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    #[command(flatten)]
    client: ClientArgs,
}

pub(crate) async fn run(args: ReportArgs) -> anyhow::Result<()> {
    if args.format == Format::Pdf {
        // Say so before asking the aggregator for anything.
        lscb_aggregator::report::pdf::require_chromium()?;
    }
    let channel = args.client.channel(&args.client.aggregator_url).await?;
    let mut client = ReportServiceClient::new(channel).max_decoding_message_size(256 << 20);
    let wire = match args.format {
        Format::Html | Format::Pdf => pb::ReportFormat::Html,
        Format::Markdown => pb::ReportFormat::Markdown,
        Format::Json => pb::ReportFormat::Json,
    };
    let timeout = Duration::from_secs(args.timeout_secs.max(1));
    let edition = match args.edition {
        Edition::Full => pb::ReportEdition::Full,
        Edition::YoungPeople => pb::ReportEdition::YoungPeople,
    } as i32;
    if args.format == Format::Pdf && lscb_aggregator::report::pdf::find_pdftotext().is_none() {
        eprintln!(
            "note: pdftotext (package poppler-utils) is not installed, so the contents will have \
             no page numbers"
        );
    }
    let (content, summary, complete) = match &args.published {
        Some(v) => {
            let version = if v == "latest" {
                0
            } else {
                v.parse::<u32>().map_err(|_| {
                    anyhow::anyhow!("--published takes a version number or `latest`, not '{v}'")
                })?
            };
            let mut req = tonic::Request::new(pb::GetPublishedRequest {
                year: args.year.clone(),
                version,
                format: wire as i32,
                edition,
            });
            req.set_timeout(timeout);
            let r = client
                .get_published(req)
                .await
                .map_err(|s| anyhow::anyhow!("{:?}: {}", s.code(), s.message()))?
                .into_inner();
            let info = r.info.unwrap_or_default();
            (
                r.content,
                format!(
                    "published version {} of {} (sha256 {}, published {} by {})",
                    info.version,
                    info.year,
                    info.content_hash,
                    info.published_at,
                    info.published_by
                ),
                info.complete,
            )
        }
        None => {
            let mut req = tonic::Request::new(pb::AssembleReportRequest {
                year: args.year.clone(),
                format: wire as i32,
                edition,
            });
            req.set_timeout(timeout);
            let r = client
                .assemble_report(req)
                .await
                .map_err(|s| anyhow::anyhow!("{:?}: {}", s.code(), s.message()))?
                .into_inner();
            let summary = if r.complete {
                format!("assembled {} from live data (complete)", r.year)
            } else {
                format!(
                    "assembled {} from live data, INCOMPLETE: no data from {} ({})",
                    r.year,
                    r.failed_sources.join(", "),
                    r.sources
                        .iter()
                        .filter(|s| !s.ok)
                        .map(|s| format!("{}: {}", s.source, s.error))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            (r.content, summary, r.complete)
        }
    };
    if let Some(dir) = args.output.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    match args.format {
        Format::Pdf => lscb_aggregator::report::pdf::html_to_pdf(&content, &args.output).await?,
        _ => std::fs::write(&args.output, content.as_bytes())
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", args.output.display()))?,
    }
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    eprintln!(
        "wrote {} ({} bytes): {summary}",
        args.output.display(),
        size
    );
    if !complete && args.require_complete {
        eprintln!("the report is incomplete and --require-complete was given");
        std::process::exit(2);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_financial_year;

    #[test]
    fn only_a_financial_year_is_accepted_and_the_error_says_how_to_write_one() {
        assert_eq!(parse_financial_year("2015-16").unwrap(), "2015-16");
        assert_eq!(parse_financial_year(" 1999-00 ").unwrap(), "1999-00");
        for bad in [
            "2015",
            "2015-16-Q1",
            "2015-04",
            "15-16",
            "2015/16",
            "abcd-ef",
            "",
        ] {
            let e = parse_financial_year(bad).unwrap_err();
            assert!(
                e.contains("write it as YYYY-YY, e.g. 2015-16"),
                "{bad}: {e}"
            );
        }
        let e = parse_financial_year("2015-17").unwrap_err();
        assert!(e.ends_with("(the year starting in 2015 is 2015-16)"), "{e}");
    }
}
