//! SVG charts laid out by hand for print: line charts of periods (with benchmark lines) and
//! horizontal bar charts of categories. Every SVG gets `role="img"`, a `<title>` and a
//! `<desc>` (its text alternative); the data table is rendered with it by the HTML renderer.
//!
//! Print rules: the chart is [`W`] units wide and printed at the A4 text width (178 mm, about
//! 673 CSS px), so text of [`FONT`] units prints at about 10.4 pt. Axes have titles with units;
//! money reads £450,000; periods read "Q1 2015/16"; the legend sits above the plot, never on
//! it; series differ by colour, line style and marker; category labels wrap onto several lines
//! instead of being cut, and tick labels are thinned until they no longer touch. Text widths
//! are estimated generously (0.6 em a character, Arial-metric fonts run about 0.5); the
//! Chromium test (`tests/e2e/print.rs`) measures the real boxes.

use std::fmt::Write as _;

use super::doc::{Chart, ChartKind};
use super::model::Unit;
use super::periods;
use super::render::esc;

/// Width of every chart in SVG units.
pub const W: f64 = 680.0;
/// Font size of every text in SVG units (10.4 pt printed at the A4 text width).
pub const FONT: f64 = 14.0;
/// Estimated advance of a character, in em.
const CHAR_EM: f64 = 0.6;
const LINE: f64 = FONT * 1.25;
/// Colours that stay apart in greyscale and for common colour blindness; each series also
/// has its own line style and marker.
const COLOURS: [&str; 4] = ["#0b3d6e", "#b35806", "#2b7a3d", "#6a3d9a"];
const DASHES: [&str; 4] = ["", "9 5", "2 4", "12 4 3 4"];
const FONTS: &str = "'Liberation Sans', Arial, Helvetica, sans-serif";

/// Estimated width of `s` in SVG units.
pub fn text_width(s: &str) -> f64 {
    s.chars().count() as f64 * FONT * CHAR_EM
}

fn text(out: &mut String, x: f64, y: f64, anchor: &str, s: &str) {
    let _ = writeln!(
        out,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\">{}</text>",
        esc(s)
    );
}

/// Thousands separators, `dp` decimals.
fn grouped(v: f64, dp: usize) -> String {
    let s = format!("{:.*}", dp, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut g = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            g.push(',');
        }
        g.push(ch);
    }
    let sign = if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "−"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{g}")
    } else {
        format!("{sign}{g}.{frac}")
    }
}

/// A value as printed on an axis or a bar: £ for money (in pounds), % for percentages.
pub fn value_label(v: f64, unit: Option<Unit>, dp: usize) -> String {
    match unit {
        Some(Unit::Money) => {
            let s = grouped(v, dp);
            match s.strip_prefix('−') {
                Some(rest) => format!("−£{rest}"),
                None => format!("£{s}"),
            }
        }
        Some(Unit::Percent) => format!("{}%", grouped(v, dp)),
        _ => grouped(v, dp),
    }
}

/// Round ticks from `lo` (0 or below) to at least `hi`: (ticks, decimals).
fn ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, usize) {
    let lo = lo.min(0.0);
    let hi = if hi <= lo { lo + 1.0 } else { hi };
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let mut out = vec![];
    let mut t = first;
    while t < hi + step * 0.999 {
        out.push(t);
        if t >= hi {
            break;
        }
        t += step;
    }
    let dp = (0..3)
        .find(|dp| {
            let scaled = step * 10f64.powi(*dp);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(3) as usize;
    (out, dp)
}

/// Words of `s` in lines of at most `max` characters (a longer word is split).
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(4);
    let mut lines: Vec<String> = vec![];
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > max {
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            let head: String = word.chars().take(max - 1).collect();
            lines.push(format!("{head}-"));
            word = word.chars().skip(max - 1).collect();
        }
        if cur.is_empty() {
            cur = word;
        } else if cur.chars().count() + 1 + word.chars().count() <= max {
            cur.push(' ');
            cur.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut cur, word));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn marker(out: &mut String, shape: usize, x: f64, y: f64, colour: &str) {
    let _ = match shape % 4 {
        0 => writeln!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4.5\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1\"/>"
        ),
        1 => writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"9\" height=\"9\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1\"/>",
            x - 4.5,
            y - 4.5
        ),
        2 => writeln!(
            out,
            "<path d=\"M{x:.1} {:.1} L{:.1} {:.1} L{:.1} {:.1} Z\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1\"/>",
            y - 6.0,
            x + 5.5,
            y + 4.0,
            x - 5.5,
            y + 4.0
        ),
        _ => writeln!(
            out,
            "<path d=\"M{x:.1} {:.1} L{:.1} {y:.1} L{x:.1} {:.1} L{:.1} {y:.1} Z\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1\"/>",
            y - 6.0,
            x + 6.0,
            y + 6.0,
            x - 6.0
        ),
    };
}

fn line_sample(out: &mut String, si: usize, x: f64, y: f64) {
    let colour = COLOURS[si % COLOURS.len()];
    let dash = DASHES[si % DASHES.len()];
    let _ = writeln!(
        out,
        "<path d=\"M{x:.1} {y:.1} H{:.1}\" stroke=\"{colour}\" stroke-width=\"2.5\" fill=\"none\"{}/>",
        x + 32.0,
        if dash.is_empty() {
            String::new()
        } else {
            format!(" stroke-dasharray=\"{dash}\"")
        }
    );
    marker(out, si, x + 16.0, y, colour);
}

/// The legend above the plot, wrapping into rows: returns its height.
fn legend(out: &mut String, names: &[&str], top: f64) -> f64 {
    if names.len() < 2 {
        return 0.0;
    }
    let (mut x, mut y) = (8.0, top + LINE * 0.5);
    for (si, name) in names.iter().enumerate() {
        let wrapped = wrap(name, ((W - 60.0) / (FONT * CHAR_EM)) as usize);
        let name = wrapped.first().cloned().unwrap_or_default();
        let w = 32.0 + 6.0 + text_width(&name) + 22.0;
        if x > 8.0 && x + w > W - 8.0 {
            x = 8.0;
            y += LINE + 4.0;
        }
        line_sample(out, si, x, y);
        text(out, x + 38.0, y + FONT * 0.35, "start", &name);
        x += w;
    }
    y + LINE * 0.5 - top + 6.0
}

/// Two-line x labels: (top line, bottom line) for each period.
fn x_labels(x: &[String]) -> Vec<(String, String)> {
    x.iter()
        .map(|code| {
            let l = periods::label(code);
            match l.split_once(' ') {
                Some((a, b)) if code.len() != 7 || code.contains('Q') || l.len() <= 8 => {
                    (a.to_string(), b.to_string())
                }
                _ => (l, String::new()),
            }
        })
        .collect()
}

fn y_axis_title(c: &Chart, fallback: &str) -> String {
    if !c.y_title.is_empty() {
        c.y_title.clone()
    } else if let Some(u) = c.unit {
        periods::unit_axis(u).to_string()
    } else {
        fallback.to_string()
    }
}

fn line_chart(c: &Chart, x: &[String], series: &[(String, Vec<Option<f64>>)]) -> (String, f64) {
    let mut out = String::new();
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    let mut top = 8.0 + legend(&mut out, &names, 8.0);
    let values = series.iter().flat_map(|(_, v)| v.iter().flatten().copied());
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let hi = if c.unit == Some(Unit::Percent) && hi > 80.0 && hi <= 100.0 {
        100.0
    } else {
        hi
    };
    let (ys, dp) = ticks(lo, hi, 5);
    let tick_labels: Vec<String> = ys.iter().map(|v| value_label(*v, c.unit, dp)).collect();
    let tick_w = tick_labels
        .iter()
        .map(|t| text_width(t))
        .fold(0.0, f64::max);
    text(
        &mut out,
        8.0,
        top + FONT,
        "start",
        &y_axis_title(c, "Number"),
    );
    top += LINE + 10.0;
    let labels = x_labels(x);
    let first_half = labels
        .first()
        .map_or(0.0, |l| text_width(&l.0).max(text_width(&l.1)) / 2.0);
    let last_half = labels
        .last()
        .map_or(0.0, |l| text_width(&l.0).max(text_width(&l.1)) / 2.0);
    let left = (8.0 + tick_w + 10.0).max(first_half + 4.0 - 12.0);
    let right = W - (last_half + 4.0 - 12.0).max(16.0);
    let plot_h = 190.0;
    let bottom = top + plot_h;
    let (y_lo, y_hi) = (ys[0], *ys.last().unwrap_or(&1.0));
    let yof = |v: f64| bottom - (v - y_lo) / (y_hi - y_lo).max(f64::EPSILON) * plot_h;
    for (v, l) in ys.iter().zip(&tick_labels) {
        let y = yof(*v);
        let _ = writeln!(
            out,
            "<path d=\"M{left:.1} {y:.1} H{right:.1}\" stroke=\"#d0d0d0\" stroke-width=\"1\"/>"
        );
        text(&mut out, left - 8.0, y + FONT * 0.35, "end", l);
    }
    let n = x.len();
    let inner = (left + 12.0, right - 12.0);
    let xof = |i: usize| {
        if n <= 1 {
            (inner.0 + inner.1) / 2.0
        } else {
            inner.0 + (inner.1 - inner.0) * i as f64 / (n - 1) as f64
        }
    };
    let _ = writeln!(
        out,
        "<path d=\"M{left:.1} {top:.1} V{bottom:.1} H{right:.1}\" stroke=\"#333333\" stroke-width=\"1.2\" fill=\"none\"/>"
    );
    // Thin the labels until neighbours no longer touch.
    let spacing = if n > 1 {
        (inner.1 - inner.0) / (n - 1) as f64
    } else {
        W
    };
    let widest = labels.iter().map(|l| text_width(&l.0)).fold(0.0, f64::max);
    let every = ((widest + 10.0) / spacing).ceil().max(1.0) as usize;
    let mut last_bottom: Option<(String, f64)> = None;
    for (i, (a, b)) in labels.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let px = xof(i);
        let _ = writeln!(
            out,
            "<path d=\"M{px:.1} {bottom:.1} v5\" stroke=\"#333333\" stroke-width=\"1\"/>"
        );
        text(&mut out, px, bottom + 6.0 + FONT, "middle", a);
        let shows = !b.is_empty()
            && last_bottom.as_ref().is_none_or(|(prev, prev_x)| {
                prev != b && px - prev_x >= (text_width(prev) + text_width(b)) / 2.0 + 10.0
            });
        if shows {
            text(&mut out, px, bottom + 6.0 + FONT + LINE, "middle", b);
            last_bottom = Some((b.clone(), px));
        }
    }
    let x_title = if c.x_title.is_empty() {
        periods::axis_title(x).to_string()
    } else {
        c.x_title.clone()
    };
    let title_y = bottom + 6.0 + FONT + LINE * 2.0 + 6.0;
    text(&mut out, (left + right) / 2.0, title_y, "middle", &x_title);
    for (si, (_, values)) in series.iter().enumerate() {
        let colour = COLOURS[si % COLOURS.len()];
        let dash = DASHES[si % DASHES.len()];
        let mut d = String::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{:.1} {:.1} ",
                        if pen_down { "L" } else { "M" },
                        xof(i),
                        yof(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = writeln!(
            out,
            "<path d=\"{}\" stroke=\"{colour}\" stroke-width=\"2.5\" fill=\"none\"{}/>",
            d.trim_end(),
            if dash.is_empty() {
                String::new()
            } else {
                format!(" stroke-dasharray=\"{dash}\"")
            }
        );
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                marker(&mut out, si, xof(i), yof(*v), colour);
            }
        }
    }
    (out, title_y + 10.0)
}

fn bar_chart(c: &Chart, bars: &[(String, f64)]) -> (String, f64) {
    let mut out = String::new();
    let unit = c.unit;
    // Long lists of categories get a wider label column, so that fewer labels wrap.
    let label_room = if bars.len() > 12 { 330.0 } else { 230.0 };
    let max_chars = (label_room / (FONT * CHAR_EM)) as usize;
    let wrapped: Vec<Vec<String>> = bars.iter().map(|(l, _)| wrap(l, max_chars)).collect();
    let label_w = wrapped
        .iter()
        .flatten()
        .map(|l| text_width(l))
        .fold(0.0, f64::max);
    let values: Vec<String> = bars.iter().map(|(_, v)| value_label(*v, unit, 0)).collect();
    let value_w = values.iter().map(|v| text_width(v)).fold(0.0, f64::max);
    let category = c.data.headers.first().cloned().unwrap_or_default();
    let mut top = 8.0;
    text(&mut out, 8.0, top + FONT, "start", &category);
    top += LINE + 8.0;
    let left = 8.0 + label_w + 12.0;
    let right = W - value_w - 18.0;
    let (lo, hi) = bars
        .iter()
        .fold((0.0f64, 0.0f64), |(l, h), (_, v)| (l.min(*v), h.max(*v)));
    let mut target = 4;
    let (mut xs, mut dp) = ticks(lo, hi, target);
    loop {
        let widest = xs
            .iter()
            .map(|v| text_width(&value_label(*v, unit, dp)))
            .fold(0.0, f64::max);
        let room = (right - left) / (xs.len().max(2) - 1) as f64;
        if widest + 12.0 <= room || target == 1 {
            break;
        }
        target -= 1;
        (xs, dp) = ticks(lo, hi, target);
    }
    let (x_lo, x_hi) = (xs[0], *xs.last().unwrap_or(&1.0));
    let xof = |v: f64| left + (v - x_lo) / (x_hi - x_lo).max(f64::EPSILON) * (right - left);
    // Long lists of categories (every agency's contribution) pack their rows closer, so the
    // chart fits beside the text before it instead of leaving half a page empty.
    let min_row = if bars.len() > 12 { 25.0 } else { 32.0 };
    let bar_h = if bars.len() > 12 { 15.0 } else { 18.0 };
    let rows: Vec<f64> = wrapped
        .iter()
        .map(|l| (l.len().max(1) as f64 * LINE + 6.0).max(min_row))
        .collect();
    let bottom = top + rows.iter().sum::<f64>();
    for v in &xs {
        let x = xof(*v);
        let _ = writeln!(
            out,
            "<path d=\"M{x:.1} {top:.1} V{bottom:.1}\" stroke=\"#d0d0d0\" stroke-width=\"1\"/>"
        );
        text(
            &mut out,
            x,
            bottom + 6.0 + FONT,
            "middle",
            &value_label(*v, unit, dp),
        );
    }
    let mut y = top;
    for (i, (_, v)) in bars.iter().enumerate() {
        let h = rows[i];
        let mid = y + h / 2.0;
        let lines = &wrapped[i];
        let first = mid - (lines.len() as f64 - 1.0) * LINE / 2.0 + FONT * 0.35;
        for (li, l) in lines.iter().enumerate() {
            text(&mut out, left - 10.0, first + li as f64 * LINE, "end", l);
        }
        let (x0, x1) = (xof(0.0_f64.max(x_lo)), xof(*v));
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar_h}\" fill=\"{}\"/>",
            x0.min(x1),
            mid - bar_h / 2.0,
            (x1 - x0).abs().max(1.0),
            COLOURS[0]
        );
        text(
            &mut out,
            x0.max(x1) + 6.0,
            mid + FONT * 0.35,
            "start",
            &values[i],
        );
        y += h;
    }
    let _ = writeln!(
        out,
        "<path d=\"M{left:.1} {top:.1} V{bottom:.1} H{right:.1}\" stroke=\"#333333\" stroke-width=\"1.2\" fill=\"none\"/>"
    );
    let title_y = bottom + 6.0 + FONT + LINE + 6.0;
    text(
        &mut out,
        (left + right) / 2.0,
        title_y,
        "middle",
        &y_axis_title(c, "Value"),
    );
    (out, title_y + 10.0)
}

/// The chart as an accessible inline SVG element.
pub fn svg(c: &Chart) -> String {
    let id = format!("fig{}", c.number);
    let a11y = format!(
        "<title id=\"{id}-title\">Figure {} – {}</title><desc id=\"{id}-desc\">{}</desc>",
        c.number,
        esc(&c.title),
        esc(&c.description)
    );
    let (body, h) = match &c.kind {
        ChartKind::Line { x, series } if !x.is_empty() && !series.is_empty() => {
            line_chart(c, x, series)
        }
        ChartKind::Bar { bars } if !bars.is_empty() => bar_chart(c, bars),
        _ => {
            let mut out = String::new();
            text(
                &mut out,
                8.0,
                24.0,
                "start",
                "There is nothing to draw; see the table.",
            );
            (out, 40.0)
        }
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {W} {h:.0}\" \
         width=\"{W}\" height=\"{h:.0}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         focusable=\"false\" font-family=\"{FONTS}\" font-size=\"{FONT}\" fill=\"#1a1a1a\">\
         {a11y}\n<rect width=\"{W}\" height=\"{h:.0}\" fill=\"#ffffff\"/>\n{body}</svg>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_numbers_have_thousands_separators() {
        assert_eq!(value_label(450_000.0, Some(Unit::Money), 0), "£450,000");
        assert_eq!(value_label(-1_234.0, Some(Unit::Money), 0), "−£1,234");
        assert_eq!(value_label(87.5, Some(Unit::Percent), 1), "87.5%");
        assert_eq!(value_label(1_234_567.0, None, 0), "1,234,567");
        assert_eq!(value_label(999.0, Some(Unit::Count), 0), "999");
        assert_eq!(value_label(0.0, Some(Unit::Money), 0), "£0");
    }

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let (t, dp) = ticks(0.0, 450_000.0, 4);
        assert_eq!(t, vec![0.0, 200_000.0, 400_000.0, 600_000.0]);
        assert_eq!(dp, 0);
        let (t, dp) = ticks(0.0, 1.3, 5);
        assert_eq!(t, vec![0.0, 0.5, 1.0, 1.5]);
        assert_eq!(dp, 1);
        let (t, dp) = ticks(0.0, 1.0, 4);
        assert_eq!(t, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(dp, 2);
        let (t, _) = ticks(0.0, 0.0, 5);
        assert!(*t.last().unwrap() >= 1.0 - 1e-9, "{t:?}");
    }

    #[test]
    fn long_labels_wrap_and_are_never_cut() {
        let l = wrap(
            "Birmingham and Solihull Mental Health NHS Foundation Trust",
            20,
        );
        assert_eq!(
            l,
            vec![
                "Birmingham and",
                "Solihull Mental",
                "Health NHS",
                "Foundation Trust"
            ]
        );
        assert_eq!(
            wrap("Supercalifragilistic", 8).concat().replace('-', ""),
            "Supercalifragilistic"
        );
    }
}
