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

/// Arguments of `lscbctl report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Financial year, e.g. 2015-16.
    #[arg(long)]
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
