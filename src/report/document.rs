//! A small document model, rendered both as Markdown and as HTML, so the two reports always say
//! the same thing.

use std::fmt::Write;

#[derive(Clone)]
pub enum Block {
    Heading(u8, String),
    Paragraph(String),
    List(Vec<String>),
    /// Header row, then rows.
    Table(Vec<String>, Vec<Vec<String>>),
    /// A figure: the file stem of its `.svg` and `.png`, and a caption.
    Figure(String, String),
    /// Small figures side by side, each with its lines (the machine card).
    Tiles(Vec<Tile>),
}

/// One tile of `Block::Tiles`: a title, a small figure (the stem of its `.svg`), and lines.
#[derive(Clone)]
pub struct Tile {
    pub title: String,
    pub figure: Option<String>,
    pub lines: Vec<String>,
}

pub fn markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading(level, text) => writeln!(out, "{} {text}\n", "#".repeat(*level as usize)),
            Block::Paragraph(text) => writeln!(out, "{text}\n"),
            Block::List(items) => {
                items.iter().for_each(|i| writeln!(out, "- {i}").unwrap());
                writeln!(out)
            }
            Block::Table(header, rows) => {
                let row = |cells: &[String]| format!("| {} |", cells.join(" | "));
                writeln!(out, "{}", row(header)).unwrap();
                writeln!(out, "|{}", "---|".repeat(header.len())).unwrap();
                rows.iter().for_each(|r| writeln!(out, "{}", row(r)).unwrap());
                writeln!(out)
            }
            Block::Figure(stem, caption) => {
                writeln!(out, "![{caption}]({stem}.svg)\n\n*{caption}* ([PNG]({stem}.png))\n")
            }
            Block::Tiles(tiles) => {
                for t in tiles {
                    writeln!(out, "**{}**\n", t.title).unwrap();
                    if let Some(stem) = &t.figure {
                        writeln!(out, "<img src=\"{stem}.svg\" alt=\"{}\" width=\"320\">\n", t.title).unwrap();
                    }
                    t.lines.iter().for_each(|l| writeln!(out, "- {l}").unwrap());
                    writeln!(out).unwrap();
                }
                Ok(())
            }
        }
        .unwrap();
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// HTML with every figure's SVG embedded (`svg_of` returns the SVG text for a stem).
pub fn html(title: &str, blocks: &[Block], svg_of: impl Fn(&str) -> String) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>\n<style>body{{font-family:sans-serif;max-width:1100px;margin:auto;padding:0 8px}}\
         table{{border-collapse:collapse;display:block;overflow-x:auto}}td,th{{border:1px solid #aaa;padding:2px 8px}}\
         figure{{margin:1em 0}}figure svg{{max-width:100%;height:auto;display:block}}\
         .tiles{{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}}\
         .tile{{border:1px solid #ccc;padding:6px;min-width:0}}.tile h3{{font-size:1em;margin:0 0 4px}}\
         .tile figure{{margin:0}}.tile ul{{margin:4px 0;padding-left:1.2em;font-size:.9em}}</style></head><body>\n",
        escape(title)
    );
    for block in blocks {
        match block {
            Block::Heading(level, text) => writeln!(out, "<h{level}>{}</h{level}>", escape(text)),
            Block::Paragraph(text) => writeln!(out, "<p>{}</p>", escape(text)),
            Block::List(items) => {
                writeln!(
                    out,
                    "<ul>{}</ul>",
                    items.iter().map(|i| format!("<li>{}</li>", escape(i))).collect::<String>()
                )
            }
            Block::Table(header, rows) => {
                let cells = |tag: &str, r: &[String]| {
                    r.iter().map(|c| format!("<{tag}>{}</{tag}>", escape(c))).collect::<String>()
                };
                writeln!(out, "<table><tr>{}</tr>", cells("th", header)).unwrap();
                rows.iter().for_each(|r| writeln!(out, "<tr>{}</tr>", cells("td", r)).unwrap());
                writeln!(out, "</table>")
            }
            Block::Figure(stem, caption) => {
                writeln!(out, "<figure>{}<figcaption>{}</figcaption></figure>", svg_of(stem), escape(caption))
            }
            Block::Tiles(tiles) => {
                let tile = |t: &Tile| {
                    let figure = t
                        .figure
                        .as_deref()
                        .map(|stem| format!("<figure>{}</figure>", svg_of(stem)))
                        .unwrap_or_default();
                    let lines: String = t.lines.iter().map(|l| format!("<li>{}</li>", escape(l))).collect();
                    format!("<div class=\"tile\"><h3>{}</h3>{figure}<ul>{lines}</ul></div>", escape(&t.title))
                };
                writeln!(out, "<div class=\"tiles\">{}</div>", tiles.iter().map(tile).collect::<String>())
            }
        }
        .unwrap();
    }
    out + "</body></html>\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Block> {
        vec![
            Block::Heading(2, "amdahl".into()),
            Block::Paragraph("speedup ×4.99 on 9 <ranks>".into()),
            Block::Table(vec!["file".into(), "ranks".into()], vec![vec!["a".into(), "9".into()]]),
            Block::Figure("amdahl".into(), "Speedup".into()),
            Block::Tiles(vec![Tile {
                title: "stream".into(),
                figure: Some("stream".into()),
                lines: vec!["a < b".into()],
            }]),
        ]
    }

    #[test]
    fn markdown_and_html_say_the_same() {
        let md = markdown(&sample());
        assert!(md.contains("## amdahl\n"));
        assert!(md.contains("| file | ranks |\n|---|---|\n| a | 9 |"));
        assert!(md.contains("![Speedup](amdahl.svg)"));
        let html = html("t", &sample(), |stem| format!("<svg id=\"{stem}\"/>"));
        assert!(html.contains("<h2>amdahl</h2>"));
        assert!(html.contains("9 &lt;ranks&gt;"));
        assert!(html.contains("<svg id=\"amdahl\"/>"));
        assert!(html.contains(
            "<div class=\"tile\"><h3>stream</h3><figure><svg id=\"stream\"/></figure><ul><li>a &lt; b</li></ul></div>"
        ));
        assert!(md.contains("**stream**\n\n<img src=\"stream.svg\""));
    }
}
