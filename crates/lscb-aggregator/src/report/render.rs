//! Renderers: Markdown, HTML (one self-contained file: inline CSS for screen and A4 print,
//! SVG charts each with a text alternative and a data table) and JSON, all from the same
//! document tree (see `doc`).

use super::charts;
use super::doc::{Cell, Chart, Node, Table};
use super::layout::{self, Status};
use super::model::Report;

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn md_table(out: &mut String, t: &Table) {
    out.push_str(&format!("*{}*\n\n", t.caption));
    out.push_str(&format!(
        "| {} |\n",
        t.headers
            .iter()
            .map(|h| md_cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    ));
    out.push_str(&format!(
        "|{}|\n",
        t.headers
            .iter()
            .map(|_| " --- ")
            .collect::<Vec<_>>()
            .join("|")
    ));
    for r in &t.rows {
        out.push_str(&format!(
            "| {} |\n",
            r.iter()
                .map(|c| md_cell(&c.text))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    out.push('\n');
}

/// The report as Markdown.
pub fn markdown(nodes: &[Node]) -> String {
    let mut out = String::new();
    for n in nodes {
        match n {
            Node::Heading(l, t) => {
                out.push_str(&format!("{} {}\n\n", "#".repeat(*l as usize), t));
            }
            Node::Markdown(t) => {
                out.push_str(t.trim_end());
                out.push_str("\n\n");
            }
            Node::List(items) => {
                for i in items {
                    out.push_str(&format!("- {}\n", i.replace('\n', " ")));
                }
                out.push('\n');
            }
            Node::Table(t) => md_table(&mut out, t),
            Node::Chart(c) => {
                out.push_str(&format!(
                    "**Figure {} – {}.** {}\n\n",
                    c.number, c.title, c.description
                ));
                md_table(&mut out, &c.data);
            }
            Node::Notice(t) => out.push_str(&format!("> **Note:** {t}\n\n")),
            Node::PageBreak => {}
            Node::Cover {
                title,
                assembled_at,
            } => out.push_str(&format!(
                "# {title}\n\nAssembled from the partnership's data on {assembled_at}.\n\n"
            )),
            Node::Contents(items) => {
                out.push_str("## Contents\n\n");
                for i in items {
                    out.push_str(&format!("- {i}\n"));
                }
                out.push('\n');
            }
        }
    }
    out.trim_end().to_string() + "\n"
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Markdown text (authored narrative) to HTML. Raw HTML in the source is escaped, not
/// passed through, so narrative cannot inject markup or scripts.
fn md_html(s: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html};
    let parser = Parser::new_ext(s, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(
        |e| match e {
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            e => e,
        },
    );
    let mut out = String::new();
    html::push_html(&mut out, parser);
    captioned_tables(&out)
}

/// Accessible tables from Markdown: a line in italics just before a table becomes its
/// `<caption>` (the Markdown renderer writes captions that way), and header cells get
/// `scope="col"`.
fn captioned_tables(html: &str) -> String {
    const OPEN: &str = "<p><em>";
    const CLOSE: &str = "</em></p>\n<table>";
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        match after.find("</em></p>") {
            Some(end) if after[end..].starts_with(CLOSE) && !after[..end].contains('<') => {
                out.push_str(&rest[..start]);
                out.push_str("<table>\n<caption>");
                out.push_str(&after[..end]);
                out.push_str("</caption>");
                rest = &after[end + CLOSE.len()..];
            }
            _ => {
                out.push_str(&rest[..start + OPEN.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("<th>", "<th scope=\"col\">")
        .replace("<th style=", "<th scope=\"col\" style=")
}

fn html_table(out: &mut String, t: &Table) {
    out.push_str("<table>\n");
    out.push_str(&format!("<caption>{}</caption>\n", esc(&t.caption)));
    out.push_str("<thead><tr>");
    for h in &t.headers {
        out.push_str(&format!("<th scope=\"col\">{}</th>", esc(h)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let Cell { text, class } = c;
            let cls = class.map(|c| format!(" class=\"{c}\"")).unwrap_or_default();
            if i == 0 {
                out.push_str(&format!("<th scope=\"row\"{cls}>{}</th>", esc(text)));
            } else {
                out.push_str(&format!("<td{cls}>{}</td>", esc(text)));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// Colours chosen for WCAG AA: dark text (#1a1a1a or darker) on light backgrounds, every
/// pair above 4.5:1; the RAG word and symbol are always in the text as well.
const CSS: &str = r#"
:root { color-scheme: light; }
body { font-family: "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; background: #ffffff;
       max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem; line-height: 1.45; }
h1 { font-size: 1.9rem; color: #0b3d6e; border-bottom: 3px solid #0b3d6e; padding-bottom: .3rem; }
h2 { font-size: 1.5rem; color: #0b3d6e; margin-top: 2rem; }
h3 { font-size: 1.2rem; color: #1a1a1a; margin-top: 1.5rem; }
h4 { font-size: 1.05rem; color: #333333; }
a { color: #0b4f8a; }
table { border-collapse: collapse; width: 100%; margin: .75rem 0 1.25rem; font-size: .9rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; color: #1a1a1a; }
th, td { border: 1px solid #767676; padding: .3rem .45rem; text-align: left; vertical-align: top; }
thead th { background: #e8eef5; color: #1a1a1a; }
tbody th { font-weight: normal; }
.rag-red, .att-red { background: #fde0dc; color: #1a1a1a; }
.rag-amber { background: #fff1c2; color: #1a1a1a; }
.rag-green, .att-green { background: #dff3e0; color: #1a1a1a; }
.att-blue { background: #dde9fb; color: #1a1a1a; }
.notice { border-left: 6px solid #b3261e; background: #fdf0ee; padding: .6rem .9rem; margin: 1rem 0; }
figure { margin: 1rem 0 1.5rem; break-inside: avoid; page-break-inside: avoid; }
figure svg.chart { display: block; width: 100%; max-width: 680px; height: auto; }
figcaption { font-weight: bold; margin-bottom: .4rem; }
.chart-desc, .chart-data-link { font-size: .9rem; color: #333333; margin: .3rem 0; }
.chart-note { font-size: .95rem; border-left: 4px solid #b35806; padding: .2rem .6rem; margin: .4rem 0; }
figure table { font-size: .85rem; margin: .4rem 0 0; }
.page-break { height: 0; }
.cover { padding: 2rem 0; }
.cover-partnership { font-size: 1.3rem; color: #0b3d6e; font-weight: bold; margin: 0; }
.cover h1 { font-size: 2.4rem; border-bottom: 0; margin: .5rem 0 1rem; }
.cover-year { font-size: 1.2rem; }
.cover-status { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem;
                border: 1px solid #767676; padding: .8rem 1rem; margin-top: 2rem; }
.cover-status dt { font-weight: bold; }
.cover-status dd { margin: 0; }
.hash { font-size: .85rem; word-break: break-all; }
.toc ul { list-style: none; padding: 0; }
.toc li { display: flex; align-items: baseline; gap: .5rem; padding: .1rem 0; }
.toc li a { flex: 1; }
.toc-2 { font-weight: bold; margin-top: .35rem; }
.toc-3 { padding-left: 1.5rem !important; }
.toc-page { min-width: 2.5em; text-align: right; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  .cover { break-after: page; page-break-after: always; padding-top: 60mm; }
  .toc { break-after: page; page-break-after: always; }
  .toc li { padding: 0; }
  .toc a { color: #1a1a1a; text-decoration: none; }
  .page-break { break-before: page; page-break-before: always; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  tr, figure { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  figure svg.chart { max-width: none; }
  .chart-data { break-before: page; page-break-before: always; }
}
"#;

/// The report as one self-contained HTML file, a draft assembled now.
pub fn html(report: &Report, nodes: &[Node]) -> String {
    html_as(report, nodes, &Status::Draft)
}

fn figure(body: &mut String, appendix: &mut Vec<(u32, Table)>, c: &Chart) {
    body.push_str(&format!("<figure id=\"figure-{}\">\n", c.number));
    body.push_str(&format!(
        "<figcaption>Figure {} – {}</figcaption>\n",
        c.number,
        esc(&c.title)
    ));
    body.push_str(&charts::svg(c));
    if let Some(n) = &c.note {
        body.push_str(&format!(
            "<p class=\"chart-note\"><strong>Year to date:</strong> {}</p>\n",
            esc(n)
        ));
    }
    body.push_str(&format!(
        "<p class=\"chart-desc\">{}</p>\n",
        esc(&c.description)
    ));
    if layout::runs_across(c) {
        html_table(body, &layout::across(&c.data));
    } else if layout::to_appendix(c) {
        body.push_str(&format!(
            "<p class=\"chart-data-link\">The {} figures of this chart are in <a href=\"#data-figure-{}\">the appendix: data for figure {}</a>.</p>\n",
            c.data.rows.len(),
            c.number,
            c.number
        ));
        appendix.push((c.number, c.data.clone()));
    } else {
        html_table(body, &c.data);
    }
    body.push_str("</figure>\n");
}

/// The report as one self-contained HTML file with the given status on its cover and
/// running header.
pub fn html_as(report: &Report, nodes: &[Node], status: &Status) -> String {
    let heads = layout::headings(nodes);
    let title = heads
        .iter()
        .find(|(l, _, _)| *l == 1)
        .map(|(_, t, _)| t.clone())
        .unwrap_or_else(|| format!("Annual Report {}", report.year_label));
    let mut ids = heads.iter().map(|(_, _, id)| id.clone());
    let mut body = String::new();
    let mut appendix: Vec<(u32, Table)> = vec![];
    for n in nodes {
        match n {
            Node::Heading(_, t) if t.trim().is_empty() => {}
            Node::Heading(l, t) => {
                let id = ids.next().unwrap_or_default();
                body.push_str(&format!("<h{l} id=\"{id}\">{}</h{l}>\n", esc(t)))
            }
            Node::Cover { title, .. } => {
                let id = ids.next().unwrap_or_default();
                layout::cover(&mut body, report, title, &id, status);
            }
            Node::Contents(_) => {
                let appendix = nodes
                    .iter()
                    .any(|n| matches!(n, Node::Chart(c) if layout::to_appendix(c)));
                layout::contents(&mut body, &heads, appendix)
            }
            Node::Markdown(t) => body.push_str(&md_html(t)),
            Node::List(items) => {
                body.push_str("<ul>\n");
                for i in items {
                    body.push_str(&format!("<li>{}</li>\n", esc(i)));
                }
                body.push_str("</ul>\n");
            }
            Node::Table(t) => html_table(&mut body, t),
            Node::Chart(c) => figure(&mut body, &mut appendix, c),
            Node::Notice(t) => body.push_str(&format!(
                "<div class=\"notice\" role=\"note\"><strong>Note:</strong> {}</div>\n",
                esc(t)
            )),
            Node::PageBreak => body.push_str("<div class=\"page-break\"></div>\n"),
        }
    }
    let mut anchors = layout::Anchors::with_used(
        heads
            .iter()
            .map(|(_, _, id)| id.as_str())
            .chain(["contents", "chart-data"]),
    );
    let mut body = layout::anchor_plain_headings(&body, &mut anchors);
    if !appendix.is_empty() {
        body.push_str("<section class=\"chart-data\" aria-labelledby=\"chart-data\">\n<h2 id=\"chart-data\">Appendix: data for the charts</h2>\n");
        for (number, t) in &appendix {
            body.push_str(&format!("<div id=\"data-figure-{number}\">\n"));
            html_table(&mut body, t);
            body.push_str(&format!(
                "<p><a href=\"#figure-{number}\">Back to figure {number}</a></p>\n</div>\n"
            ));
        }
        body.push_str("</section>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}{}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        esc(&title),
        layout::page_css(&title, status)
    )
}

/// The report model as pretty JSON.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".into()) + "\n"
}

#[cfg(test)]
mod tests {
    use super::super::doc::{Chart, ChartKind};
    use super::*;

    #[test]
    fn narrative_html_is_escaped_not_passed_through() {
        let h = md_html("Hello <script>alert(1)</script> **bold** <img src=x onerror=y>");
        assert!(!h.contains("<script>"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(h.contains("<strong>bold</strong>"), "{h}");
    }

    #[test]
    fn a_markdown_table_takes_the_italic_line_before_it_as_caption() {
        let h = md_html(
            "*Who answered*\n\n| Agency | Share |\n|---|---|\n| Police | 80% |\n\n*just emphasis* and text\n",
        );
        assert!(
            h.contains("<table>\n<caption>Who answered</caption><thead><tr><th scope=\"col\">Agency</th><th scope=\"col\">Share</th>"),
            "{h}"
        );
        assert!(!h.contains("<p><em>Who answered"), "{h}");
        assert!(h.contains("<p><em>just emphasis</em> and text</p>"), "{h}");
        // A table with no italic line before it is left as it is.
        let plain = md_html("| A |\n|---|\n| 1 |\n");
        assert!(
            plain.starts_with("<table><thead><tr><th scope=\"col\">A</th>"),
            "{plain}"
        );
    }

    #[test]
    fn tables_have_a_caption_and_header_row_in_both_formats() {
        let t = Table {
            caption: "Budget".into(),
            headers: vec!["Component".into(), "Amount".into()],
            rows: vec![vec!["Income | fees".into(), "£8,150".into()]],
        };
        let mut h = String::new();
        html_table(&mut h, &t);
        assert!(h.starts_with(
            "<table>\n<caption>Budget</caption>\n<thead><tr><th scope=\"col\">Component</th>"
        ));
        assert!(h.contains("<th scope=\"row\">Income | fees</th><td>£8,150</td>"));
        let mut m = String::new();
        md_table(&mut m, &t);
        assert_eq!(
            m,
            "*Budget*\n\n| Component | Amount |\n| --- | --- |\n| Income \\| fees | £8,150 |\n\n"
        );
    }

    fn chart(kind: ChartKind) -> Chart {
        Chart {
            number: 3,
            title: "Budget <by> source".into(),
            description: "Bar chart of the budget".into(),
            kind,
            data: Table {
                caption: "Data".into(),
                headers: vec!["Source".into(), "Amount".into()],
                rows: vec![],
            },
            unit: None,
            x_title: String::new(),
            y_title: String::new(),
            note: None,
        }
    }

    #[test]
    fn every_chart_is_an_svg_with_a_text_alternative() {
        for kind in [
            ChartKind::Bar {
                bars: vec![
                    ("Contributions".into(), 674_409.0),
                    ("Income".into(), 8_150.0),
                ],
            },
            ChartKind::Bar { bars: vec![] },
            ChartKind::Line {
                x: vec!["2015-16-Q1".into(), "2015-16-Q2".into()],
                series: vec![
                    ("Referrals".into(), vec![Some(10.0), None]),
                    ("England".into(), vec![Some(12.0), Some(12.0)]),
                ],
            },
        ] {
            let svg = super::super::charts::svg(&chart(kind));
            let open = &svg[..svg.find('>').unwrap()];
            assert!(open.starts_with("<svg"), "{open}");
            assert!(open.contains("role=\"img\""), "{open}");
            assert!(
                open.contains("aria-labelledby=\"fig3-title fig3-desc\""),
                "{open}"
            );
            assert!(
                svg.contains(
                    "<title id=\"fig3-title\">Figure 3 – Budget &lt;by&gt; source</title>"
                )
            );
            assert!(svg.contains("<desc id=\"fig3-desc\">Bar chart of the budget</desc>"));
            assert!(svg.trim_end().ends_with("</svg>"));
        }
    }
}
