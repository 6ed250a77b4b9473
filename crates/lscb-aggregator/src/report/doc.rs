//! The report's layout as a small document tree (headings, paragraphs, tables, charts,
//! notices) built from the model, following the reference report's structure. The Markdown
//! and HTML renderers each walk this one tree, so both formats say the same thing.

use rust_decimal::prelude::ToPrimitive;

use super::format;
use super::model::*;

pub mod authored;
mod board;
use authored::Place;

/// A table cell: text plus an optional style class (RAG, attendance) that the HTML uses
/// for colour; the text itself always carries the meaning too.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub class: Option<&'static str>,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell { text, class: None }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell {
            text: text.to_string(),
            class: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChartKind {
    /// Lines over the same x labels: (series name, values; `None` where missing).
    Line {
        x: Vec<String>,
        series: Vec<(String, Vec<Option<f64>>)>,
    },
    /// One bar per label.
    Bar { bars: Vec<(String, f64)> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub number: u32,
    pub title: String,
    /// The text alternative: what the chart shows, in words.
    pub description: String,
    pub kind: ChartKind,
    /// The same data as a table (always shown with the chart).
    pub data: Table,
    /// How the values are measured: the value axis's title and number format follow it.
    pub unit: Option<Unit>,
    /// Axis titles; empty: taken from the data table's headers.
    pub x_title: String,
    pub y_title: String,
    /// Printed under the chart, e.g. that a measure builds up through the year.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Level 1 = title, 2 = part, 3 = section, 4 = question.
    Heading(u8, String),
    /// Markdown (inline or block) text.
    Markdown(String),
    List(Vec<String>),
    Table(Table),
    Chart(Chart),
    /// A section whose data was unavailable, or a warning.
    Notice(String),
    PageBreak,
    /// The title page: the report's title and when it was assembled (the HTML adds the
    /// partnership, year and status).
    Cover {
        title: String,
        assembled_at: String,
    },
    /// The contents: the parts (the HTML lists and links every part and section heading).
    Contents(Vec<String>),
}

struct Builder {
    nodes: Vec<Node>,
    figures: u32,
}

impl Builder {
    fn h(&mut self, level: u8, t: impl Into<String>) {
        self.nodes.push(Node::Heading(level, t.into()));
    }
    fn md(&mut self, t: impl Into<String>) {
        self.nodes.push(Node::Markdown(t.into()));
    }
    fn chart(&mut self, title: String, description: String, kind: ChartKind, data: Table) {
        self.figures += 1;
        self.nodes.push(Node::Chart(Chart {
            number: self.figures,
            title,
            description,
            kind,
            data,
            unit: None,
            x_title: String::new(),
            y_title: String::new(),
            note: None,
        }));
    }
    /// Sets the unit, axis titles and note of the chart just added.
    fn chart_axes(&mut self, unit: Unit, x_title: &str, note: Option<String>) {
        if let Some(Node::Chart(c)) = self.nodes.last_mut() {
            c.unit = Some(unit);
            c.x_title = x_title.to_string();
            c.y_title = super::periods::unit_axis(unit).to_string();
            c.note = note;
        }
    }
    fn unavailable<T>(&mut self, b: &Block<T>, what: &str) -> bool {
        if let Block::Unavailable { source, reason } = b {
            self.nodes.push(Node::Notice(format!(
                "Data unavailable: {what} could not be included because the {source} service did not provide it ({reason})."
            )));
            true
        } else {
            false
        }
    }
    fn narrative(&mut self, r: &Report, key: &str) {
        if let Some(n) = r.narrative.get(key) {
            self.authored(&n.markdown);
        }
    }
    /// Authored Markdown: its own `##`/`###`/`####` headings become headings of the report
    /// (listed in the contents, with anchors), the text between them stays Markdown.
    fn authored(&mut self, text: &str) {
        for part in split_headings(text) {
            match part {
                Authored::Heading(level, t) => self.h(level, t),
                Authored::Text(t) => self.md(t),
            }
        }
    }
}

#[derive(Debug, PartialEq)]
enum Authored {
    Heading(u8, String),
    Text(String),
}

/// Splits authored Markdown at its ATX headings of level 2 to 4 (outside fenced code).
fn split_headings(text: &str) -> Vec<Authored> {
    let mut out = vec![];
    let mut buf = String::new();
    let mut fenced = false;
    let flush = |buf: &mut String, out: &mut Vec<Authored>| {
        if !buf.trim().is_empty() {
            out.push(Authored::Text(buf.trim().to_string()));
        }
        buf.clear();
    };
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
        }
        let hashes = t.chars().take_while(|c| *c == '#').count();
        let title = t[hashes..].trim().trim_end_matches('#').trim();
        if !fenced && (2..=4).contains(&hashes) && t[hashes..].starts_with(' ') && !title.is_empty()
        {
            flush(&mut buf, &mut out);
            out.push(Authored::Heading(hashes as u8, title.to_string()));
        } else {
            buf.push_str(line);
            buf.push('\n');
        }
    }
    flush(&mut buf, &mut out);
    // A heading with nothing under it is left out: the report has no empty headings.
    let mut kept = Vec::with_capacity(out.len());
    for i in 0..out.len() {
        if let Authored::Heading(level, _) = &out[i] {
            let empty = match out.get(i + 1) {
                None => true,
                Some(Authored::Heading(next, _)) => next <= level,
                Some(Authored::Text(_)) => false,
            };
            if empty {
                continue;
            }
        }
        kept.push(std::mem::replace(
            &mut out[i],
            Authored::Text(String::new()),
        ));
    }
    kept
}

pub fn rag_cell(r: Option<Rag>) -> Cell {
    match r {
        Some(Rag::Red) => Cell {
            text: "✖ Red".into(),
            class: Some("rag-red"),
        },
        Some(Rag::Amber) => Cell {
            text: "◆ Amber".into(),
            class: Some("rag-amber"),
        },
        Some(Rag::Green) => Cell {
            text: "✔ Green".into(),
            class: Some("rag-green"),
        },
        None => "–".into(),
    }
}

fn travel_cell(f: &Figure) -> Cell {
    match f.travel {
        Travel::Improving => Cell {
            text: format!("{} (improving)", format::direction_symbol(f.direction)),
            class: Some("rag-green"),
        },
        Travel::Worsening => Cell {
            text: format!("{} (worsening)", format::direction_symbol(f.direction)),
            class: Some("rag-red"),
        },
        Travel::NoChange => "► no change".into(),
        Travel::NotApplicable => format::direction_symbol(f.direction).into(),
    }
}

fn opt_value(v: Option<rust_decimal::Decimal>, u: Unit) -> String {
    v.map(|v| format::value(v, u)).unwrap_or_else(|| "–".into())
}

fn bench(f: &Figure, name: &str) -> String {
    f.benchmarks
        .iter()
        .find(|b| b.name == name)
        .map(|b| format::value(b.value, f.unit))
        .unwrap_or_else(|| "–".into())
}

fn figure_table(caption: String, figures: &[Figure], r: &Report) -> Table {
    Table {
        caption,
        headers: vec![
            "Indicator".into(),
            r.year_label.clone(),
            r.previous_year.replacen('-', "/", 1),
            "Change".into(),
            "Direction of travel".into(),
            "RAG".into(),
            "Target".into(),
            "England".into(),
            "Statistical neighbours".into(),
        ],
        rows: figures
            .iter()
            .map(|f| {
                vec![
                    Cell::from(f.name.clone()),
                    // No value for the year: the latest earlier one, with its year.
                    match (f.value, &f.latest_earlier) {
                        (None, Some(p)) => format!(
                            "{} ({})",
                            format::value(p.value, f.unit),
                            p.period.replacen('-', "/", 1)
                        ),
                        _ => opt_value(f.value, f.unit),
                    }
                    .into(),
                    opt_value(f.previous, f.unit).into(),
                    match (f.unit, f.value, f.previous) {
                        (Unit::Percent, Some(v), Some(p)) => {
                            format!("{:+} pts", format::round(v - p, 1).normalize()).into()
                        }
                        _ => f
                            .change_pct
                            .map(|c| match (c.is_zero(), f.direction) {
                                (true, Direction::Up) => "<+1%".to_string(),
                                (true, Direction::Down) => "<-1%".to_string(),
                                _ => format!("{:+}%", c.normalize()),
                            })
                            .unwrap_or_else(|| "–".into())
                            .into(),
                    },
                    travel_cell(f),
                    rag_cell(f.rag),
                    opt_value(f.target, f.unit).into(),
                    bench(f, "England").into(),
                    bench(f, "Statistical neighbours").into(),
                ]
            })
            .collect(),
    }
}

fn to_f64(d: rust_decimal::Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn figures_section(b: &mut Builder, r: &Report, figures: &[Figure], caption: &str) {
    if figures.is_empty() {
        b.md("No indicators are recorded for this question.");
        return;
    }
    let named: Vec<(String, String)> = figures
        .iter()
        .map(|f| (f.name.clone(), f.sentence.clone()))
        .collect();
    let (sentences, no_previous) = super::notes::no_previous_once(&named);
    b.nodes.push(Node::List(sentences));
    if let Some(n) = no_previous {
        b.md(n);
    }
    b.nodes
        .push(Node::Table(figure_table(caption.to_string(), figures, r)));
    for f in figures.iter().filter(|f| f.trend.len() >= 2) {
        let codes: Vec<String> = f.trend.iter().map(|p| p.period.clone()).collect();
        let x: Vec<String> = codes.clone();
        // Money is held in pence; charts draw pounds.
        let scale = if f.unit == Unit::Money { 0.01 } else { 1.0 };
        let values: Vec<f64> = f.trend.iter().map(|p| to_f64(p.value) * scale).collect();
        let ytd = super::periods::year_to_date_note(&codes, &values);
        let mut series = vec![(
            f.name.clone(),
            values.iter().map(|v| Some(*v)).collect::<Vec<_>>(),
        )];
        let mut headers = vec!["Period".to_string(), f.name.clone()];
        for bm in &f.benchmarks {
            series.push((
                bm.name.clone(),
                vec![Some(to_f64(bm.value) * scale); x.len()],
            ));
            headers.push(bm.name.clone());
        }
        let rows = f
            .trend
            .iter()
            .map(|p| {
                let mut row = vec![
                    Cell::from(super::periods::label(&p.period)),
                    format::value(p.value, f.unit).into(),
                ];
                for bm in &f.benchmarks {
                    row.push(format::value(bm.value, f.unit).into());
                }
                row
            })
            .collect();
        let first = f.trend.first().map(|p| format::value(p.value, f.unit));
        let last = f.trend.last().map(|p| format::value(p.value, f.unit));
        let (lo, hi) = f.trend.iter().fold((None, None), |(lo, hi), p| {
            (
                Some(lo.map_or(p.value, |l: rust_decimal::Decimal| l.min(p.value))),
                Some(hi.map_or(p.value, |h: rust_decimal::Decimal| h.max(p.value))),
            )
        });
        let description = format!(
            "Line chart of {} from {} to {}: it went from {} to {}, ranging between {} and {}{}.",
            f.name,
            x.first()
                .map(|c| super::periods::label(c))
                .unwrap_or_default(),
            x.last()
                .map(|c| super::periods::label(c))
                .unwrap_or_default(),
            first.unwrap_or_default(),
            last.unwrap_or_default(),
            lo.map(|v| format::value(v, f.unit)).unwrap_or_default(),
            hi.map(|v| format::value(v, f.unit)).unwrap_or_default(),
            if f.benchmarks.is_empty() {
                String::new()
            } else {
                format!(
                    "; benchmarks shown as flat lines: {}",
                    f.benchmarks
                        .iter()
                        .map(|b| format!("{} {}", b.name, format::value(b.value, f.unit)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        b.chart(
            format!("{} by period", f.name),
            description,
            ChartKind::Line { x, series },
            Table {
                caption: format!("Data for the chart: {}", f.name),
                headers,
                rows,
            },
        );
        b.chart_axes(f.unit, super::periods::axis_title(&codes), ytd);
    }
}

fn money_bars(
    b: &mut Builder,
    title: String,
    lines: &[(String, i64)],
    label_header: &str,
    total: Option<i64>,
) {
    if lines.is_empty() {
        return;
    }
    let mut rows: Vec<Vec<Cell>> = lines
        .iter()
        .map(|(l, p)| vec![Cell::from(l.clone()), format::money(*p).into()])
        .collect();
    if let Some(t) = total {
        rows.push(vec!["Total".into(), format::money(t).into()]);
    }
    let largest = lines.iter().max_by_key(|(_, p)| *p);
    let description = format!(
        "Bar chart of {} across {} items{}.",
        title.to_lowercase(),
        lines.len(),
        largest
            .map(|(l, p)| format!("; the largest is {l} at {}", format::money(*p)))
            .unwrap_or_default()
    );
    b.chart(
        title.clone(),
        description,
        ChartKind::Bar {
            bars: lines
                .iter()
                .map(|(l, p)| (l.clone(), *p as f64 / 100.0))
                .collect(),
        },
        Table {
            caption: format!("Data for the chart: {title}"),
            headers: vec![label_header.to_string(), "Amount".into()],
            rows,
        },
    );
    b.chart_axes(Unit::Money, label_header, None);
}

/// The place a local authority serves: "Birmingham City Council" → "Birmingham".
pub fn place(local_authority: &str) -> String {
    for suffix in [
        " Metropolitan Borough Council",
        " County Borough Council",
        " Borough Council",
        " County Council",
        " City Council",
        " Council",
    ] {
        if let Some(p) = local_authority.strip_suffix(suffix)
            && !p.is_empty()
        {
            return p.to_string();
        }
    }
    local_authority.to_string()
}

/// The report as a document tree.
/// The Part 5 appendix that lists every action when Part 3 shows the plan per priority, and
/// the anchor its heading gets.
const ACTIONS_APPENDIX: &str = "Appendix: business plan actions";
const ACTIONS_ANCHOR: &str = "appendix-business-plan-actions";

pub fn build(r: &Report) -> Vec<Node> {
    let mut b = Builder {
        nodes: vec![],
        figures: 0,
    };
    let la = place(&r.partnership.local_authority);
    b.nodes.push(Node::Cover {
        title: format!("{} – Annual Report {}", r.partnership.name, r.year_label),
        assembled_at: r.generated_at.clone(),
    });
    if !r.complete {
        let failed: Vec<_> = r.sources.iter().filter(|s| !s.ok).collect();
        let names = failed
            .iter()
            .map(|s| s.source.as_str())
            .collect::<Vec<_>>()
            .join(" and ");
        let why = failed
            .iter()
            .map(|s| format!("{}: {}", s.source, s.error.clone().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("; ");
        b.nodes.push(Node::Notice(format!(
            "This report is incomplete: data from {names} was unavailable ({why}). The affected sections say so, and no judgement in Part 4 counts the missing data against the board."
        )));
    }
    b.nodes.push(Node::Contents(vec![
        "Foreword".into(),
        "Introduction".into(),
        format!("Part 1 – Context and key facts about {la}"),
        format!("Part 2 – The effectiveness of safeguarding arrangements in {la}"),
        format!("Part 3 – The effectiveness of the {}", r.partnership.name),
        "Part 4 – Analysis, conclusions, sufficiency statement and challenges".into(),
        "Part 5 – Supporting material".into(),
    ]));

    b.nodes.push(Node::PageBreak);
    b.h(2, "Foreword");
    match r.narrative.get("foreword") {
        Some(n) => b.authored(&n.markdown),
        None => b.md("_No foreword has been written for this year._"),
    }
    b.h(2, "Introduction");
    match r.narrative.get("introduction") {
        Some(n) => b.authored(&n.markdown),
        None => b.md(format!(
            "Each Local Safeguarding Children Board is required to produce and publish an Annual Report evaluating the effectiveness of safeguarding in the local area. This report covers {} and is assembled from the data that the partner agencies submitted: every figure comes from stored data with its source.",
            r.year_label
        )),
    }

    // ------------------------------------------------------------- Part 1
    b.nodes.push(Node::PageBreak);
    b.h(2, format!("Part 1 – Context and key facts about {la}"));
    b.narrative(r, "context");
    authored::sections(&mut b, r, Place::Context);
    b.h(3, "Key facts");
    if !b.unavailable(&r.part1.key_facts, "the key facts") {
        let facts = r.part1.key_facts.data().cloned().unwrap_or_default();
        figures_section(&mut b, r, &facts, "Key facts");
    }
    authored::sections(&mut b, r, Place::ContextClosing);

    // ------------------------------------------------------------- Part 2
    b.nodes.push(Node::PageBreak);
    b.h(
        2,
        format!("Part 2 – The effectiveness of safeguarding arrangements in {la}"),
    );
    authored::sections(&mut b, r, Place::Part2Opening);
    for p in &r.part2.priorities {
        b.h(3, p.title.clone());
        b.narrative(r, &format!("priority.{}", p.key));
        b.h(4, "How much did we do?");
        if !b.unavailable(&p.how_much, "the activity figures") {
            let f = p.how_much.data().cloned().unwrap_or_default();
            figures_section(&mut b, r, &f, &format!("{}: how much did we do?", p.title));
        }
        b.h(4, "How well did we do it?");
        let nothing = p.how_well.data().is_some_and(|f| f.is_empty())
            && p.audits.data().is_some_and(|a| a.is_empty())
            && p.training.data().is_some_and(|t| t.is_empty());
        if nothing {
            b.md(
                "No quality indicators, audits or training figures are recorded for this question.",
            );
        }
        if !b.unavailable(&p.how_well, "the quality figures") {
            let f = p.how_well.data().cloned().unwrap_or_default();
            if !f.is_empty() {
                figures_section(
                    &mut b,
                    r,
                    &f,
                    &format!("{}: how well did we do it?", p.title),
                );
            }
        }
        if !b.unavailable(&p.audits, "the audit results") {
            let audits = p.audits.data().cloned().unwrap_or_default();
            if !audits.is_empty() {
                b.nodes.push(Node::List(
                    audits.iter().map(|a| a.sentence.clone()).collect(),
                ));
            }
        }
        if !b.unavailable(&p.training, "the training figures") {
            let t = p.training.data().cloned().unwrap_or_default();
            if !t.is_empty() {
                b.nodes
                    .push(Node::List(t.iter().map(|x| x.sentence.clone()).collect()));
            }
        }
        b.h(4, "What did we learn and change as a result?");
        b.narrative(r, &format!("priority.{}.learning", p.key));
        if !b.unavailable(&p.actions, "the actions") {
            let a = p.actions.data().cloned().unwrap_or_default();
            if a.is_empty() {
                b.md("No actions from this priority's audits are recorded.");
            } else {
                b.nodes.push(Node::Table(actions_table(
                    format!("{}: actions from audits", p.title),
                    &a,
                )));
            }
        }
    }

    b.h(3, "Audits of practice");
    if !b.unavailable(&r.part2.audits, "the audit programme") {
        let audits = r.part2.audits.data().cloned().unwrap_or_default();
        if audits.is_empty() {
            b.md(format!(
                "No audits with graded cases are recorded for {}.",
                r.year_label
            ));
        } else {
            b.nodes.push(Node::Table(Table {
                caption: "Audits of the year".into(),
                headers: vec![
                    "Audit".into(),
                    "Type".into(),
                    "Cases".into(),
                    "Requiring improvement".into(),
                    "Grades".into(),
                ],
                rows: audits
                    .iter()
                    .map(|a| {
                        vec![
                            Cell::from(a.title.clone()),
                            a.kind.replace('_', " ").into(),
                            format::count(a.cases.into()).into(),
                            format!(
                                "{} ({})",
                                a.requiring_improvement,
                                format::share_pct(a.requiring_improvement.into(), a.cases.into())
                                    .map(format::percent)
                                    .unwrap_or_else(|| "–".into())
                            )
                            .into(),
                            a.grades
                                .iter()
                                .filter(|(_, c)| *c > 0)
                                .map(|(g, c)| format!("{g}: {c}"))
                                .collect::<Vec<_>>()
                                .join("; ")
                                .into(),
                        ]
                    })
                    .collect(),
            }));
        }
    }

    if let Some(programmes) = r.part2.programmes.data().filter(|p| !p.is_empty()) {
        b.h(4, "Audit programmes: the year's audits together");
        b.nodes.push(Node::List(
            programmes.iter().map(|p| p.sentence.clone()).collect(),
        ));
        for p in programmes {
            b.nodes.push(Node::Table(Table {
                caption: format!("{}, {}: cases by grade", p.title, r.year_label),
                headers: vec![
                    "Grade".into(),
                    "Cases".into(),
                    "Share".into(),
                    "Change of share, first audit to last".into(),
                ],
                rows: p
                    .grades
                    .iter()
                    .map(|g| {
                        vec![
                            Cell::from(g.grade.clone()),
                            format::count(g.count.into()).into(),
                            g.share
                                .map(|s| format::percent(format::round(s, 0)))
                                .unwrap_or_else(|| "–".into())
                                .into(),
                            g.change
                                .map(points_change)
                                .unwrap_or_else(|| "–".into())
                                .into(),
                        ]
                    })
                    .collect(),
            }));
        }
    }

    b.h(3, "External inspections and reviews");
    b.narrative(r, "inspections");
    if !b.unavailable(&r.part2.inspections, "the inspections") {
        let ins = r.part2.inspections.data().cloned().unwrap_or_default();
        if ins.is_empty() {
            b.md(format!("No inspections are recorded for {}.", r.year_label));
        } else {
            b.nodes.push(Node::Table(Table {
                caption: "Inspections during the year".into(),
                headers: vec![
                    "Inspectorate".into(),
                    "Organisation".into(),
                    "Date".into(),
                    "Judgement".into(),
                    "Key findings".into(),
                ],
                rows: ins
                    .iter()
                    .map(|i| {
                        vec![
                            Cell::from(i.inspectorate.clone()),
                            i.subject.clone().into(),
                            i.date.clone().into(),
                            i.judgement.clone().into(),
                            i.summary.clone().into(),
                        ]
                    })
                    .collect(),
            }));
        }
    }

    b.h(3, "Partner compliance with safeguarding (Section 11)");
    b.narrative(r, "section11");
    if !b.unavailable(&r.part2.section11, "the Section 11 results")
        && let Some(s) = r.part2.section11.data()
    {
        b.md(s.sentence.clone());
        if !s.rows.is_empty() {
            b.nodes.push(Node::Table(Table {
                caption: "Section 11 returns by statutory agency".into(),
                headers: vec!["Agency".into(), "Return".into(), "Assurance letter".into()],
                rows: s
                    .rows
                    .iter()
                    .map(|row| {
                        vec![
                            Cell::from(row.agency_name.clone()),
                            Cell {
                                text: if row.rating == "not submitted" {
                                    "✖ not submitted".into()
                                } else {
                                    format!("✔ {}", row.rating)
                                },
                                class: Some(if row.rating == "not submitted" {
                                    "rag-red"
                                } else {
                                    "rag-green"
                                }),
                            },
                            match row.assurance_letter {
                                Some(true) => Cell {
                                    text: "✔ received".into(),
                                    class: Some("rag-green"),
                                },
                                Some(false) => Cell {
                                    text: "✖ not received".into(),
                                    class: Some("rag-red"),
                                },
                                None => "–".into(),
                            },
                        ]
                    })
                    .collect(),
            }));
        }
    }
    authored::sections(&mut b, r, Place::AfterSection11);
    b.h(3, "Safeguarding in schools (Section 175)");
    b.narrative(r, "section175");
    if !b.unavailable(&r.part2.section175, "the Section 175 results")
        && let Some(s) = r.part2.section175.data()
    {
        b.md(s.sentence.clone());
    }

    authored::sections(&mut b, r, Place::AfterSection175);
    b.h(3, "Key vulnerable groups");
    b.narrative(r, "vulnerable_groups");
    authored::sections(&mut b, r, Place::VulnerableGroups);
    if !b.unavailable(
        &r.part2.vulnerable_groups,
        "the figures on vulnerable groups",
    ) {
        let f = r
            .part2
            .vulnerable_groups
            .data()
            .cloned()
            .unwrap_or_default();
        if f.is_empty() {
            b.md("No indicators on vulnerable groups are recorded.");
        } else {
            b.nodes
                .push(Node::List(f.iter().map(|x| x.sentence.clone()).collect()));
            b.nodes.push(Node::Table(figure_table(
                "Key vulnerable groups".into(),
                &f,
                r,
            )));
        }
    }

    authored::sections(&mut b, r, Place::Part2Closing);

    // ------------------------------------------------------------- Part 3
    b.nodes.push(Node::PageBreak);
    b.h(
        2,
        format!("Part 3 – The effectiveness of the {}", r.partnership.name),
    );
    b.h(3, "Governance arrangements");
    b.narrative(r, "governance");
    board::governance(&mut b, r);
    b.h(3, "Board attendance, representation and engagement");
    if !b.unavailable(&r.part3.attendance, "the attendance matrix")
        && let Some(a) = r.part3.attendance.data()
    {
        // A cell of a forum that held no meetings says nothing about attendance.
        let met = a
            .rows
            .iter()
            .any(|row| row.cells.iter().flatten().any(|c| c.meetings > 0));
        if !met {
            b.md("No board or sub-group meetings are recorded for the year.");
        } else {
            b.nodes.push(Node::List(vec![
                "✔ Green: the named member attended 80% or more of the meetings".into(),
                "◆ Blue: the named or nominated members attended 80% or more of the meetings"
                    .into(),
                "✖ Red: the named or nominated members attended less than 80% of the meetings"
                    .into(),
            ]));
            let mut headers = vec!["Agency".to_string()];
            headers.extend(a.forums.iter().cloned());
            b.nodes.push(Node::Table(Table {
                caption: format!("Agency attendance by board and sub-group, {}", r.year_label),
                headers,
                rows: a
                    .rows
                    .iter()
                    .map(|row| {
                        let mut cells = vec![Cell::from(row.agency_name.clone())];
                        for c in &row.cells {
                            cells.push(match c {
                                None => "".into(),
                                Some(c) if c.meetings == 0 => "no meetings".into(),
                                Some(c) => Cell {
                                    text: format!(
                                        "{} ({}/{})",
                                        match c.rating {
                                            AttendanceRating::Green => "✔ Green",
                                            AttendanceRating::Blue => "◆ Blue",
                                            AttendanceRating::Red => "✖ Red",
                                        },
                                        c.attended_any,
                                        c.meetings
                                    ),
                                    class: Some(match c.rating {
                                        AttendanceRating::Green => "att-green",
                                        AttendanceRating::Blue => "att-blue",
                                        AttendanceRating::Red => "att-red",
                                    }),
                                },
                            });
                        }
                        cells
                    })
                    .collect(),
            }));
        }
    }

    b.h(3, "Business and improvement plan");
    b.narrative(r, "business_plan");
    let planned = board::plan(&mut b, r);
    if !b.unavailable(&r.part3.business_plan, "the progress of actions") {
        let a = r.part3.business_plan.data().cloned().unwrap_or_default();
        if a.is_empty() {
            b.md("No actions are recorded.");
        } else {
            let done = a.iter().filter(|x| x.status == "completed").count();
            let overdue = a.iter().filter(|x| x.overdue).count();
            // With the plan recorded, its progress sentence above already counts them.
            if !planned {
                b.md(format!(
                    "{} of {} actions ({}) were completed by the end of the year; {} {} overdue.",
                    done,
                    a.len(),
                    format::percent(
                        format::share_pct(done as i64, a.len() as i64).unwrap_or_default()
                    ),
                    overdue,
                    if overdue == 1 { "was" } else { "were" }
                ));
            }
            if planned {
                b.md(format!(
                    "Each action and its progress is listed in the [appendix of business plan actions](#{ACTIONS_ANCHOR})."
                ));
            } else {
                b.nodes.push(Node::Table(actions_table(
                    "Actions and their progress".into(),
                    &a,
                )));
            }
        }
    }

    b.h(3, "Finance");
    b.narrative(r, "finance");
    if !b.unavailable(&r.part3.finance, "the budget and expenditure")
        && let Some(f) = r.part3.finance.data()
    {
        b.nodes.push(Node::List(f.sentences.clone()));
        b.nodes.push(Node::Table(Table {
            caption: format!("Budget {}", r.year_label),
            headers: vec!["Component".into(), "Amount".into()],
            rows: vec![
                vec![
                    "Agency contributions".into(),
                    format::money(f.contributions_total).into(),
                ],
                vec![
                    "Carry forward from the previous year".into(),
                    format::money(f.carry_forward).into(),
                ],
                vec!["Income".into(), format::money(f.income_total).into()],
                vec!["Total budget".into(), format::money(f.budget_total).into()],
                vec![
                    "Expenditure".into(),
                    format::money(f.expenditure_total).into(),
                ],
                vec![
                    if f.balance < 0 { "Deficit" } else { "Balance" }.into(),
                    format::money(f.balance.abs()).into(),
                ],
            ],
        }));
        money_bars(
            &mut b,
            format!("Budget {} by source", r.year_label),
            &[
                ("Agency contributions".to_string(), f.contributions_total),
                ("Carry forward".to_string(), f.carry_forward),
                ("Income".to_string(), f.income_total),
            ],
            "Source",
            Some(f.budget_total),
        );
        money_bars(
            &mut b,
            "Agency contributions".into(),
            &f.contributions
                .iter()
                .filter(|c| c.pence > 0)
                .map(|c| (c.label.clone(), c.pence))
                .collect::<Vec<_>>(),
            "Agency",
            Some(f.contributions_total),
        );
        money_bars(
            &mut b,
            "Expenditure by category".into(),
            &f.expenditure
                .iter()
                .map(|c| (c.label.clone(), c.pence))
                .collect::<Vec<_>>(),
            "Category",
            Some(f.expenditure_total),
        );
        if !f.in_kind.is_empty() {
            b.md("Contributions in kind:");
            b.nodes.push(Node::List(
                f.in_kind
                    .iter()
                    .map(|k| {
                        if k.pence > 0 {
                            format!("{} (estimated {})", k.label, format::money(k.pence))
                        } else {
                            k.label.clone()
                        }
                    })
                    .collect(),
            ));
        }
        if !f.next_year.is_empty() {
            b.md("Planned changes for the next year:");
            b.nodes.push(Node::List(
                f.next_year
                    .iter()
                    .map(|k| format!("{}: {}", k.label, format::money(k.pence)))
                    .collect(),
            ));
        }
    }

    let subgroups: Vec<&NarrativeSection> = r
        .narrative
        .values()
        .filter(|n| n.section.starts_with("subgroup."))
        .collect();
    let child_deaths = r
        .part3
        .board
        .data()
        .is_some_and(|d| d.child_deaths.is_some());
    if !subgroups.is_empty() || child_deaths {
        b.h(3, "Sub-group work");
        for n in subgroups {
            let name = n.section.trim_start_matches("subgroup.").replace('_', " ");
            let mut c = name.chars();
            let name = c
                .next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default();
            b.h(4, name);
            b.authored(&n.markdown);
        }
        board::child_deaths(&mut b, r);
    }

    b.h(3, "Learning and development: training delivery");
    b.narrative(r, "training");
    if !b.unavailable(&r.part3.training, "the training figures")
        && let Some(t) = r.part3.training.data()
    {
        b.nodes.push(Node::List(t.sentences.clone()));
        if let Some(e) = &t.evaluation {
            b.md(format!("Evaluation: {e}"));
        }
        if !t.trend.is_empty() {
            let x: Vec<String> = t
                .trend
                .iter()
                .map(|y| y.year.replacen('-', "/", 1))
                .collect();
            b.chart(
                "Training courses and places by year".into(),
                format!(
                    "Line chart of training delivery from {} to {}: courses went from {} to {} and places from {} to {}.",
                    x.first().cloned().unwrap_or_default(),
                    x.last().cloned().unwrap_or_default(),
                    t.trend.first().map_or(0, |y| y.courses),
                    t.trend.last().map_or(0, |y| y.courses),
                    format::count(t.trend.first().map_or(0, |y| y.places).into()),
                    format::count(t.trend.last().map_or(0, |y| y.places).into()),
                ),
                ChartKind::Line {
                    x: x.clone(),
                    series: vec![
                        (
                            "Courses".into(),
                            t.trend.iter().map(|y| Some(y.courses as f64)).collect(),
                        ),
                        (
                            "Places".into(),
                            t.trend.iter().map(|y| Some(y.places as f64)).collect(),
                        ),
                    ],
                },
                Table {
                    caption: "Data for the chart: training delivery by year".into(),
                    headers: vec!["Year".into(), "Courses".into(), "Places".into()],
                    rows: t
                        .trend
                        .iter()
                        .zip(&x)
                        .map(|(y, l)| {
                            vec![
                                Cell::from(l.clone()),
                                format::count(y.courses.into()).into(),
                                format::count(y.places.into()).into(),
                            ]
                        })
                        .collect(),
                },
            );
            b.chart_axes(Unit::Count, "Financial year", None);
        }
    }

    b.h(3, "Learning from practitioners: surveys");
    b.narrative(r, "surveys");
    if !b.unavailable(&r.part3.surveys, "the practitioner surveys") {
        let surveys = r.part3.surveys.data().cloned().unwrap_or_default();
        if surveys.is_empty() {
            b.md(format!(
                "No practitioner survey is recorded for {}.",
                r.year_label
            ));
        }
        for s in &surveys {
            b.md(format!("{}: {}", s.title, s.sentence));
            if !s.questions.is_empty() {
                b.nodes.push(Node::Table(Table {
                    caption: format!("{}: share of respondents answering yes", s.title),
                    headers: vec![
                        "Question".into(),
                        r.year_label.clone(),
                        "Previous survey".into(),
                        "Change".into(),
                    ],
                    rows: s
                        .questions
                        .iter()
                        .map(|q| {
                            vec![
                                Cell::from(q.text.clone()),
                                q.yes_share
                                    .map(format::percent)
                                    .unwrap_or_else(|| "–".into())
                                    .into(),
                                match (q.previous_yes_share, &q.previous_label) {
                                    (Some(p), Some(when)) => {
                                        format!("{} ({when})", format::percent(p))
                                    }
                                    (Some(p), None) => format::percent(p),
                                    _ => "–".into(),
                                }
                                .into(),
                                q.change
                                    .map(points_change)
                                    .unwrap_or_else(|| "–".into())
                                    .into(),
                            ]
                        })
                        .collect(),
                }));
            }
        }
    }

    b.h(3, "Learning reviews");
    b.narrative(r, "learning_reviews");
    if !b.unavailable(&r.part3.learning_reviews, "the learning reviews") {
        let lr = r.part3.learning_reviews.data().cloned().unwrap_or_default();
        if lr.is_empty() {
            b.md("No serious case or learning reviews are recorded.");
        } else {
            b.nodes.push(Node::Table(Table {
                caption: "Serious case and learning reviews".into(),
                headers: vec![
                    "Reference".into(),
                    "Type".into(),
                    "Status".into(),
                    "Published".into(),
                    "Recommendations".into(),
                    "Actions completed".into(),
                    "Actions open".into(),
                    "Actions overdue".into(),
                ],
                rows: lr
                    .iter()
                    .map(|x| {
                        vec![
                            Cell::from(x.reference.clone()),
                            x.kind.clone().into(),
                            x.status.clone().into(),
                            x.published.clone().unwrap_or_else(|| "–".into()).into(),
                            x.recommendations.to_string().into(),
                            x.actions_complete.to_string().into(),
                            x.actions_open.to_string().into(),
                            x.actions_overdue.to_string().into(),
                        ]
                    })
                    .collect(),
            }));
        }
    }

    // ------------------------------------------------------------- Part 4
    b.nodes.push(Node::PageBreak);
    b.h(
        2,
        "Part 4 – Analysis, conclusions, sufficiency statement and challenges",
    );
    let part4_blocks = r
        .part4
        .as_ref()
        .and_then(|v| v.get("blocks"))
        .and_then(|v| v.as_array())
        .filter(|bs| bs.iter().all(|v| v.is_string()));
    match &r.part4 {
        // The analysis module's form: Markdown blocks in reading order; a block's leading
        // `###`/`####` line is a heading of the report (so it has an anchor).
        Some(_) if part4_blocks.is_some() => {
            for s in part4_blocks
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
            {
                let (first, rest) = s.split_once('\n').unwrap_or((s, ""));
                let level = first.chars().take_while(|c| *c == '#').count();
                if (3..=4).contains(&level) && first[level..].starts_with(' ') {
                    b.h(level as u8, first[level..].trim().to_string());
                    if !rest.trim().is_empty() {
                        b.md(rest.trim().to_string());
                    }
                } else {
                    b.md(s.to_string());
                }
            }
        }
        Some(v) => json_nodes(&mut b.nodes, v, 3),
        None => b.md("_The analysis has not been produced for this report._"),
    }
    b.narrative(r, "conclusion");
    if r.narrative.contains_key("looking_ahead") {
        b.h(3, "Looking ahead");
        b.narrative(r, "looking_ahead");
    }

    // ------------------------------------------------------------- Part 5
    b.nodes.push(Node::PageBreak);
    b.h(2, "Part 5 – Supporting material");
    b.h(3, "Glossary");
    if r.part5.glossary.is_empty() {
        b.md("The report uses no acronyms from the glossary.");
    } else {
        b.nodes.push(Node::Table(Table {
            caption: "Glossary of the acronyms used in this report".into(),
            headers: vec!["Acronym".into(), "Meaning".into()],
            rows: r
                .part5
                .glossary
                .iter()
                .map(|g| vec![Cell::from(g.acronym.clone()), g.meaning.clone().into()])
                .collect(),
        }));
    }
    authored::sections(&mut b, r, Place::SupportingMaterial);
    if planned && let Some(a) = r.part3.business_plan.data().filter(|a| !a.is_empty()) {
        b.h(3, ACTIONS_APPENDIX);
        b.nodes.push(Node::Table(actions_table(
            "Business plan actions and their progress".into(),
            a,
        )));
    }
    b.h(3, "Appendix: data completeness");
    if !b.unavailable(&r.part5.completeness, "the completeness appendix") {
        let gaps = r.part5.completeness.data().cloned().unwrap_or_default();
        if gaps.is_empty() {
            b.md("Every expected return was received.");
        } else {
            b.nodes.push(Node::Table(Table {
                caption: "What was expected and not received, by agency".into(),
                headers: vec!["Agency".into(), "Expected and not received".into()],
                rows: gaps
                    .iter()
                    .map(|g| {
                        vec![
                            Cell::from(g.agency_name.clone()),
                            g.missing.join("; ").into(),
                        ]
                    })
                    .collect(),
            }));
        }
    }
    b.h(3, "Appendix: sources");
    b.nodes.push(Node::Table(Table {
        caption: "The data services this report was assembled from".into(),
        headers: vec!["Source".into(), "Status".into()],
        rows: r
            .sources
            .iter()
            .map(|s| {
                vec![
                    Cell::from(s.source.clone()),
                    if s.ok {
                        Cell {
                            text: "✔ answered".into(),
                            class: Some("rag-green"),
                        }
                    } else {
                        Cell {
                            text: format!("✖ unavailable: {}", s.error.clone().unwrap_or_default()),
                            class: Some("rag-red"),
                        }
                    },
                ]
            })
            .collect(),
    }));
    b.nodes
}

/// A change in percentage points with its direction in words and a sign: "▲ +33 points".
fn points_change(d: rust_decimal::Decimal) -> String {
    let n = format::number(d.abs());
    if d.is_zero() {
        "► no change".into()
    } else if d.is_sign_negative() {
        format!("▼ -{n} points")
    } else {
        format!("▲ +{n} points")
    }
}

fn actions_table(caption: String, a: &[ActionItem]) -> Table {
    Table {
        caption,
        headers: vec![
            "Action".into(),
            "Owner".into(),
            "Due".into(),
            "Status".into(),
        ],
        rows: a
            .iter()
            .map(|x| {
                vec![
                    Cell::from(x.title.clone()),
                    x.owner.clone().unwrap_or_else(|| "–".into()).into(),
                    x.due.clone().unwrap_or_else(|| "–".into()).into(),
                    if x.overdue {
                        Cell {
                            text: format!("✖ {} (overdue)", x.status),
                            class: Some("rag-red"),
                        }
                    } else if x.status == "completed" {
                        Cell {
                            text: "✔ completed".into(),
                            class: Some("rag-green"),
                        }
                    } else {
                        Cell::from(x.status.clone())
                    },
                ]
            })
            .collect(),
    }
}

fn humanise(key: &str) -> String {
    let s = key.replace('_', " ");
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn scalar(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(if *b { "yes" } else { "no" }.into()),
        serde_json::Value::Null => Some("–".into()),
        _ => None,
    }
}

/// Renders Part 4 as the analysis module produced it: objects become headed sections,
/// arrays of scalars lists, and scalars "Key: value" lines.
fn json_nodes(out: &mut Vec<Node>, v: &serde_json::Value, level: u8) {
    match v {
        serde_json::Value::Object(map) => {
            let mut lines = Vec::new();
            for (k, val) in map {
                if let Some(s) = scalar(val) {
                    lines.push(format!("{}: {s}", humanise(k)));
                }
            }
            if !lines.is_empty() {
                out.push(Node::List(lines));
            }
            for (k, val) in map {
                if scalar(val).is_none() {
                    out.push(Node::Heading(level.min(4), humanise(k)));
                    json_nodes(out, val, level + 1);
                }
            }
        }
        serde_json::Value::Array(items) => {
            if items.iter().all(|i| scalar(i).is_some()) {
                out.push(Node::List(items.iter().filter_map(scalar).collect()));
            } else {
                for i in items {
                    json_nodes(out, i, level);
                }
            }
        }
        other => {
            if let Some(s) = scalar(other) {
                out.push(Node::Markdown(s));
            }
        }
    }
}

#[cfg(test)]
mod authored_tests {
    use super::{Authored, split_headings};

    #[test]
    fn an_authored_heading_becomes_a_heading_of_the_report() {
        let parts = split_headings(
            "I chaired the board.\n\nJane Held\n\n## Response from the Incoming Chair\n\nThank you.\n\n```\n## not a heading\n```\n#hashtag and # alone\n",
        );
        assert_eq!(
            parts,
            vec![
                Authored::Text("I chaired the board.\n\nJane Held".into()),
                Authored::Heading(2, "Response from the Incoming Chair".into()),
                Authored::Text(
                    "Thank you.\n\n```\n## not a heading\n```\n#hashtag and # alone".into()
                ),
            ]
        );
        assert_eq!(
            split_headings("Plain text."),
            vec![Authored::Text("Plain text.".into())]
        );
        // A heading with nothing under it is dropped.
        assert_eq!(
            split_headings("Text.\n\n## Empty\n\n## Full\n\nBody.\n\n### Trailing\n"),
            vec![
                Authored::Text("Text.".into()),
                Authored::Heading(2, "Full".into()),
                Authored::Text("Body.".into()),
            ]
        );
    }
}
