//! SVG charts drawn with `plotters`: lines over periods (with benchmark lines) and bars.
//! Every SVG gets `role="img"`, a `<title>` and a `<desc>` (its text alternative); the data
//! table is rendered next to it by the HTML renderer.

use plotters::prelude::*;

use super::doc::{Chart, ChartKind};
use super::render::esc;

const W: u32 = 720;
const H: u32 = 340;

/// A palette distinguishable in greyscale and for common colour blindness, with dashes for
/// second and later series so colour is not the only carrier.
const COLOURS: [RGBColor; 4] = [
    RGBColor(0x0b, 0x3d, 0x6e),
    RGBColor(0xb3, 0x58, 0x06),
    RGBColor(0x2b, 0x7a, 0x3d),
    RGBColor(0x6a, 0x3d, 0x9a),
];

fn draw(c: &Chart, out: &mut String) -> Result<(), String> {
    let root = SVGBackend::with_string(out, (W, H)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    match &c.kind {
        ChartKind::Line { x, series } => {
            let n = x.len().max(1);
            let max = series
                .iter()
                .flat_map(|(_, v)| v.iter().flatten())
                .cloned()
                .fold(0.0_f64, f64::max);
            let top = if max <= 0.0 { 1.0 } else { max * 1.15 };
            let mut chart = ChartBuilder::on(&root)
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0..(n - 1).max(1), 0.0..top)
                .map_err(|e| e.to_string())?;
            let labels = x.clone();
            chart
                .configure_mesh()
                .x_labels(n.min(13))
                .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
                .y_label_formatter(&|v| format!("{v:.0}"))
                .light_line_style(WHITE.mix(0.0))
                .label_style(("sans-serif", 12).into_font().color(&BLACK))
                .draw()
                .map_err(|e| e.to_string())?;
            for (si, (name, values)) in series.iter().enumerate() {
                let colour = COLOURS[si % COLOURS.len()];
                let pts: Vec<(usize, f64)> = values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| (i, v)))
                    .collect();
                let style = ShapeStyle::from(&colour).stroke_width(2);
                if si == 0 {
                    chart
                        .draw_series(LineSeries::new(pts.clone(), style))
                        .map_err(|e| e.to_string())?
                        .label(name.clone())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
                    chart
                        .draw_series(pts.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                        .map_err(|e| e.to_string())?;
                } else {
                    chart
                        .draw_series(DashedLineSeries::new(pts.clone(), 6, 4, style))
                        .map_err(|e| e.to_string())?
                        .label(name.clone())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
                }
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .label_font(("sans-serif", 12).into_font().color(&BLACK))
                .draw()
                .map_err(|e| e.to_string())?;
        }
        ChartKind::Bar { bars } => {
            let n = bars.len().max(1);
            let max = bars.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
            let top = if max <= 0.0 { 1.0 } else { max * 1.15 };
            let mut chart = ChartBuilder::on(&root)
                .margin(12)
                .x_label_area_size(60)
                .y_label_area_size(70)
                .build_cartesian_2d((0..n).into_segmented(), 0.0..top)
                .map_err(|e| e.to_string())?;
            let labels: Vec<String> = bars
                .iter()
                .map(|(l, _)| {
                    if l.chars().count() > 14 {
                        format!("{}…", l.chars().take(13).collect::<String>())
                    } else {
                        l.clone()
                    }
                })
                .collect();
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n)
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                    _ => String::new(),
                })
                .y_label_formatter(&|v| format!("{v:.0}"))
                .label_style(("sans-serif", 11).into_font().color(&BLACK))
                .draw()
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(
                    Histogram::vertical(&chart)
                        .style(COLOURS[0].filled())
                        .margin(6)
                        .data(bars.iter().enumerate().map(|(i, (_, v))| (i, *v))),
                )
                .map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// The chart as an accessible inline SVG element.
pub fn svg(c: &Chart) -> String {
    let mut raw = String::new();
    let drawn = draw(c, &mut raw);
    let id = format!("fig{}", c.number);
    let a11y = format!(
        "<title id=\"{id}-title\">Figure {} – {}</title><desc id=\"{id}-desc\">{}</desc>",
        c.number,
        esc(&c.title),
        esc(&c.description)
    );
    let attrs =
        format!(" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" focusable=\"false\"");
    match (drawn, raw.find("<svg")) {
        (Ok(()), Some(start)) => {
            let Some(end) = raw[start..].find('>').map(|e| start + e) else {
                return fallback(&id, &attrs, &a11y);
            };
            let (open, rest) = raw[start..].split_at(end - start);
            let open = open.trim_end_matches('/');
            format!("{}{attrs}>{a11y}{}\n", open, &rest[1..])
        }
        _ => fallback(&id, &attrs, &a11y),
    }
}

fn fallback(_id: &str, attrs: &str, a11y: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"40\"{attrs}>{a11y}<text x=\"4\" y=\"24\">Chart could not be drawn; see the table.</text></svg>\n"
    )
}
