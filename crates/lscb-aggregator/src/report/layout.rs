//! The HTML report as a document: the cover (partnership, year, status), the linked contents
//! (with empty page-number slots that the PDF printer fills, see `pdf`), an anchor on every
//! heading, the running header and page numbers of the printed pages (CSS paged media, which
//! Chromium prints), and an appendix for the data tables of long chart series.

use std::collections::HashMap;

use super::doc::{Chart, ChartKind, Node, Table};
use super::model::Report;
use super::render::esc;

/// Whether the report is a draft assembled now or a published version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Status {
    /// Assembled from live data at the report's `generated_at`.
    #[default]
    Draft,
    Published {
        version: u32,
        /// RFC 3339.
        published_at: String,
        /// SHA-256 of the report model (see `grpc::content_hash`).
        content_hash: String,
    },
}

/// Data tables with more rows than this go to the appendix, linked from their chart.
pub const APPENDIX_ROWS: usize = 12;
/// Line charts with at most this many periods show their data as one row per series.
pub const ACROSS_COLUMNS: usize = 9;

/// "2016-07-01T09:30:00Z" → "1 July 2016 at 09:30 UTC" (the text itself when not RFC 3339).
pub fn when(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%-d %B %Y at %H:%M UTC")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// Unique anchors from heading text: "Part 1 – Context" → "part-1-context".
#[derive(Debug, Default)]
pub struct Anchors {
    used: HashMap<String, u32>,
}

impl Anchors {
    pub fn id(&mut self, text: &str) -> String {
        let mut slug = String::new();
        for c in text.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        let slug = if slug.is_empty() { "section" } else { slug }.to_string();
        let n = self.used.entry(slug.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { slug } else { format!("{slug}-{n}") }
    }
}

/// The headings of the document (level, text, anchor), in order, as the HTML renderer will
/// give them ids; empty headings are left out (the renderer skips them too).
pub fn headings(nodes: &[Node]) -> Vec<(u8, String, String)> {
    let mut a = Anchors::default();
    a.id("contents");
    a.id("chart-data");
    let mut out = vec![];
    for n in nodes {
        match n {
            Node::Cover { title, .. } => out.push((1, title.clone(), a.id(title))),
            Node::Heading(l, t) if !t.trim().is_empty() => out.push((*l, t.clone(), a.id(t))),
            _ => {}
        }
    }
    out
}

impl Anchors {
    /// Anchors that already exist, so new ones do not repeat them.
    pub fn with_used<'a>(ids: impl IntoIterator<Item = &'a str>) -> Anchors {
        let mut a = Anchors::default();
        for id in ids {
            a.used.insert(id.to_string(), 1);
        }
        a
    }
}

/// Gives an id to every `<hN>` written without one (headings inside narrative Markdown);
/// a heading with no text is dropped.
pub fn anchor_plain_headings(html: &str, anchors: &mut Anchors) -> String {
    let mut out = String::with_capacity(html.len() + 1024);
    let mut rest = html;
    while let Some(at) = rest.find("<h") {
        let tag = rest[at + 2..]
            .chars()
            .next()
            .filter(|c| ('1'..='6').contains(c));
        let Some(level) = tag.filter(|_| rest[at + 3..].starts_with('>')) else {
            out.push_str(&rest[..at + 2]);
            rest = &rest[at + 2..];
            continue;
        };
        let close = format!("</h{level}>");
        let Some(end) = rest[at..].find(&close).map(|e| at + e) else {
            break;
        };
        out.push_str(&rest[..at]);
        let inner = &rest[at + 4..end];
        let mut text = String::new();
        let mut in_tag = false;
        for c in inner.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        if !text.trim().is_empty() {
            let id = anchors.id(&text.replace("&amp;", "&"));
            out.push_str(&format!("<h{level} id=\"{id}\">{inner}{close}"));
        }
        rest = &rest[end + close.len()..];
    }
    out.push_str(rest);
    out
}

/// A string for a CSS `content:` value inside `<style>`.
fn css_string(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                o.push('\\');
                o.push(c);
            }
            '<' => o.push_str("\\3C "),
            '\n' => o.push(' '),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The running header and page numbers of every printed page but the cover.
pub fn page_css(title: &str, status: &Status) -> String {
    let left = title;
    let right = match status {
        Status::Draft => "Draft – not published".to_string(),
        Status::Published { version, .. } => format!("Published version {version}"),
    };
    format!(
        "@page {{ size: A4; margin: 20mm 16mm 18mm;\n  \
         @top-left {{ content: {}; font: 9pt Arial, 'Liberation Sans', sans-serif; color: #333333; }}\n  \
         @top-right {{ content: {}; font: 9pt Arial, 'Liberation Sans', sans-serif; color: #333333; }}\n  \
         @bottom-center {{ content: \"Page \" counter(page) \" of \" counter(pages); font: 10pt Arial, 'Liberation Sans', sans-serif; }} }}\n\
         @page :first {{ @top-left {{ content: none; }} @top-right {{ content: none; }} @bottom-center {{ content: none; }} }}\n",
        css_string(left),
        css_string(&right)
    )
}

/// The cover: partnership, year, area and status.
pub fn cover(out: &mut String, r: &Report, title: &str, id: &str, status: &Status) {
    out.push_str("<section class=\"cover\" aria-label=\"Cover\">\n");
    out.push_str(&format!(
        "<p class=\"cover-partnership\">{}</p>\n<h1 id=\"{id}\">{}</h1>\n",
        esc(&r.partnership.name),
        esc(title)
    ));
    let area = [
        r.partnership.local_authority.as_str(),
        r.partnership.region.as_str(),
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .map(|s| esc(s))
    .collect::<Vec<_>>()
    .join(" · ");
    out.push_str(&format!(
        "<p class=\"cover-year\">Financial year {} (1 April to 31 March)</p>\n<p class=\"cover-area\">{area}</p>\n",
        esc(&r.year_label)
    ));
    out.push_str("<dl class=\"cover-status\">\n");
    match status {
        Status::Draft => out.push_str(&format!(
            "<dt>Status</dt><dd>Draft, not published</dd>\n<dt>Assembled</dt><dd>{} from the partnership's data</dd>\n",
            esc(&when(&r.generated_at))
        )),
        Status::Published {
            version,
            published_at,
            content_hash,
        } => out.push_str(&format!(
            "<dt>Status</dt><dd>Published, version {version}</dd>\n<dt>Published</dt><dd>{}</dd>\n\
             <dt>Content hash (SHA-256)</dt><dd><code class=\"hash\">{}</code></dd>\n",
            esc(&when(published_at)),
            esc(content_hash)
        )),
    }
    if !r.complete {
        out.push_str(&format!(
            "<dt>Completeness</dt><dd>Incomplete: {} did not answer</dd>\n",
            esc(&r.failed_sources().join(", "))
        ));
    }
    out.push_str("</dl>\n</section>\n");
}

/// The linked contents of every part (level 2) and section (level 3) heading, each with a
/// slot for its page number (`<span class="toc-page" data-page-of="ANCHOR"></span>`) that the
/// PDF printer fills.
pub fn contents(out: &mut String, heads: &[(u8, String, String)], appendix: bool) {
    out.push_str(
        "<nav class=\"toc\" aria-labelledby=\"contents\">\n<h2 id=\"contents\">Contents</h2>\n<ul>\n",
    );
    for (level, text, id) in heads.iter().filter(|(l, _, _)| (2..=3).contains(l)) {
        out.push_str(&format!(
            "<li class=\"toc-{level}\"><a href=\"#{id}\">{}</a><span class=\"toc-page\" data-page-of=\"{id}\"></span></li>\n",
            esc(text)
        ));
    }
    if appendix {
        out.push_str(
            "<li class=\"toc-2\"><a href=\"#chart-data\">Appendix: data for the charts</a><span class=\"toc-page\" data-page-of=\"chart-data\"></span></li>\n",
        );
    }
    out.push_str("</ul>\n</nav>\n");
}

/// Whether a chart's data table runs across (a line chart of a few periods).
pub fn runs_across(c: &Chart) -> bool {
    matches!(c.kind, ChartKind::Line { .. }) && c.data.rows.len() <= ACROSS_COLUMNS
}

/// Whether a chart's data table is long enough to go to the appendix.
pub fn to_appendix(c: &Chart) -> bool {
    !runs_across(c) && c.data.rows.len() > APPENDIX_ROWS
}

/// The table turned so that periods run across: one row per series.
pub fn across(t: &Table) -> Table {
    let mut headers = vec![t.headers.first().cloned().unwrap_or_default()];
    headers.extend(
        t.rows
            .iter()
            .map(|r| r.first().map(|c| c.text.clone()).unwrap_or_default()),
    );
    let rows = (1..t.headers.len())
        .map(|j| {
            let mut row = vec![t.headers[j].clone().into()];
            row.extend(
                t.rows
                    .iter()
                    .map(|r| r.get(j).cloned().unwrap_or_else(|| "–".into())),
            );
            row
        })
        .collect();
    Table {
        caption: t.caption.clone(),
        headers,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_readable_and_unique() {
        let mut a = Anchors::default();
        assert_eq!(
            a.id("Part 1 – Context and key facts"),
            "part-1-context-and-key-facts"
        );
        assert_eq!(a.id("How much did we do?"), "how-much-did-we-do");
        assert_eq!(a.id("How much did we do?"), "how-much-did-we-do-2");
        assert_eq!(a.id("–"), "section");
    }

    #[test]
    fn narrative_headings_get_anchors_and_empty_ones_go() {
        let mut a = Anchors::with_used(["summary"]);
        let html = "<h2 id=\"x\">X</h2><h3>Summary</h3><p>h</p><h4><em>Are</em> children safer?</h4><h3></h3><hr>";
        assert_eq!(
            anchor_plain_headings(html, &mut a),
            "<h2 id=\"x\">X</h2><h3 id=\"summary-2\">Summary</h3><p>h</p><h4 id=\"are-children-safer\"><em>Are</em> children safer?</h4><hr>"
        );
    }

    #[test]
    fn times_read_as_dates() {
        assert_eq!(when("2016-07-01T09:30:00Z"), "1 July 2016 at 09:30 UTC");
        assert_eq!(when("soon"), "soon");
    }

    #[test]
    fn css_strings_cannot_close_the_style() {
        assert_eq!(
            css_string("A \"B\" </style>"),
            "\"A \\\"B\\\" \\3C /style>\""
        );
    }

    #[test]
    fn a_short_series_table_runs_across() {
        let t = Table {
            caption: "c".into(),
            headers: vec!["Period".into(), "Referrals".into(), "England".into()],
            rows: vec![
                vec!["Q1 2015/16".into(), "10".into(), "12".into()],
                vec!["Q2 2015/16".into(), "11".into(), "12".into()],
            ],
        };
        let a = across(&t);
        assert_eq!(a.headers, vec!["Period", "Q1 2015/16", "Q2 2015/16"]);
        let texts: Vec<Vec<&str>> = a
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(
            texts,
            vec![vec!["Referrals", "10", "11"], vec!["England", "12", "12"]]
        );
    }
}
